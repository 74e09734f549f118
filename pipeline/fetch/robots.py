"""robots.txt: what the crawler may fetch and how slowly (protego, which reads RFC 9309 as written:
`*` and `$` in paths, longest match wins, Crawl-delay).

RFC 9309: a robots.txt answering 4xx means no rules; one that cannot be read (5xx, no connection)
means the whole host is off limits until it can be. Off limits then is a failure of the fetch, said
so, not pages the site asked us to skip. Only the first 500 KiB are parsed, as the RFC allows, so a
longer file still counts rather than blocking the host.
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

from pipeline.extract.decode import decode

MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: crawlers must parse at least the first 500 kibibytes


@dataclass
class Rules:
    parser: Protego | None  # None: allow everything
    unreachable: str = ""  # that robots.txt could not be read, and why: nothing may be fetched from the host
    note: str = ""

    def allowed(self, agent: str, url: str) -> bool:
        if self.unreachable:
            return False
        return self.parser is None or self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        return float(delay) if delay is not None else None


def parse(origin: str, body: bytes, charset: str | None = None) -> Rules:
    """Rules from robots.txt's bytes; a body of MAX_BYTES or more is read up to its last whole line."""
    note = ""
    if len(body) >= MAX_BYTES:
        body = body[: body.rfind(b"\n", 0, MAX_BYTES) + 1]
        kib = MAX_BYTES // 1024
        note = f"robots.txt of {origin} is longer than {kib} KiB: its first {kib} KiB were read, as RFC 9309 allows"
    return Rules(Protego.parse(decode(body, charset)[0]), note=note)


def from_response(origin: str, status: int | None, body: bytes, charset: str | None, error: str = "") -> Rules:
    """Rules from the answer to GET origin/robots.txt (status None: no answer at all)."""
    if status is not None and 200 <= status < 300 and not error:
        return parse(origin, body, charset)
    if status is not None and 400 <= status < 500:
        return Rules(None, note=f"robots.txt of {origin} answered {status}: no rules")
    why = error or (f"HTTP {status}" if status is not None else "no answer")
    unreachable = f"robots.txt of {origin} could not be read ({why})"
    return Rules(
        None,
        unreachable=unreachable,
        note=f"{unreachable}: nothing was fetched from {origin}; check the network connection and --base-url, "
        "then run again",
    )
