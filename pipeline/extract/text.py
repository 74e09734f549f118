"""Plain browser text copies: every non-empty line is a block (browsers put one paragraph per line)."""

from __future__ import annotations

import re

from pipeline.extract.inline import InlineBuilder
from pipeline.model import Block

_BULLET = re.compile(r"^\s*(?:[-*•▪]|\d{1,2}[.)])\s+(?=\S)")


def read_text(text: str, notes: list[str] | None = None) -> list[Block]:
    blocks = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        bullet = _BULLET.match(line)
        builder = InlineBuilder()
        builder.text(line[bullet.end() :] if bullet else line)
        block = builder.build("list_item" if bullet else "paragraph", line=number)
        if block:
            blocks.append(block)
    return blocks
