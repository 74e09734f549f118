"""Plain browser text copies: every non-empty line is a block (browsers put one paragraph per line)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.extract.inline import one_line
from pipeline.extract.limits import check_blocks
from pipeline.model import Block

_BULLET = re.compile(r"^\s*(?:[-*•▪]|\d{1,2}[.)])\s+(?=\S)")


def read_text(text: str, notes: list[str] | None = None) -> list[Block]:
    blocks = []
    for number, line in enumerate(lines(text), start=1):
        if not line.strip():
            continue
        bullet = _BULLET.match(line)
        body = one_line(line[bullet.end() :] if bullet else line)
        if body:
            blocks.append(Block("list_item" if bullet else "paragraph", body, line=number))
            check_blocks(len(blocks))
    return blocks


def lines(text: str) -> Iterator[str]:
    """One line at a time: a capture of a million short lines never becomes a list of them."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1
