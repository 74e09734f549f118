"""robots.txt: what the crawler may fetch and how slowly (urllib.robotparser, Crawl-delay included).

RFC 9309: a robots.txt answering 4xx means no rules; one that cannot be read (5xx, no connection)
means the whole host is off limits until it can be.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.robotparser import RobotFileParser


@dataclass
class Rules:
    parser: RobotFileParser | None  # None: allow everything
    disallow_all: bool = False
    note: str = ""

    def allowed(self, agent: str, url: str) -> bool:
        if self.disallow_all:
            return False
        return self.parser is None or self.parser.can_fetch(agent, url)

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        return float(delay) if delay is not None else None


def parse(text: str) -> Rules:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    parser.modified()  # can_fetch answers False until the parser believes it has read something
    return Rules(parser)


def from_response(status: int | None, text: str, error: str = "") -> Rules:
    """Rules from the answer to GET /robots.txt (status None: no answer at all)."""
    if status is not None and 200 <= status < 300:
        return parse(text)
    if status is not None and 400 <= status < 500:
        return Rules(None, note=f"robots.txt answered {status}: no rules")
    why = f"HTTP {status}" if status is not None else error or "no answer"
    return Rules(None, disallow_all=True, note=f"robots.txt unreachable ({why}): host treated as disallowed")
