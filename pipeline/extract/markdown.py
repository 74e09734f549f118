"""Markdown converted from the site's HTML, parsed with markdown-it-py (CommonMark) so links,
emphasis, hard breaks and list nesting come from a real parser rather than regular expressions."""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.extract.inline import InlineBuilder
from pipeline.extract.limits import check_blocks
from pipeline.extract.text import lines
from pipeline.model import Block

_md = MarkdownIt("commonmark")

_BLOCK_KIND = {"paragraph_open": "paragraph", "heading_open": "heading"}


PIECE_LINES = 5_000  # markdown-it holds every token of what it parses: a longer text is parsed in pieces
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")


def read_markdown(text: str, notes: list[str] | None = None) -> list[Block]:
    """A text of more than PIECE_LINES lines (no page of the site comes near) is parsed a piece at a
    time, each ending at a blank line outside code fences, so that the block limit stops a capture of a
    million lines after a few pieces instead of after building millions of tokens."""
    blocks: list[Block] = []
    for piece, first_line in _pieces(text):
        _read(piece, first_line, blocks)
        check_blocks(len(blocks))
    return blocks


def _pieces(text: str) -> Iterator[tuple[str, int]]:
    """(piece, number of lines before it): ending at a blank line, or anywhere past twice the length."""
    if text.count("\n") <= PIECE_LINES:
        yield text, 0
        return
    piece: list[str] = []
    start, fenced = 0, False
    for line in lines(text):
        if _FENCE.match(line):
            fenced = not fenced
        piece.append(line)
        if not fenced and len(piece) >= PIECE_LINES and (not line.strip() or len(piece) >= 2 * PIECE_LINES):
            yield "\n".join(piece), start
            start, piece = start + len(piece), []
    if piece:
        yield "\n".join(piece), start


def _read(text: str, first_line: int, blocks: list[Block]) -> None:
    tokens = _md.parse(text)
    list_depth = 0
    in_item = 0
    pending: tuple[str, int, int | None] | None = None
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "list_item_open":
            in_item += 1
        elif token.type == "list_item_close":
            in_item -= 1
        elif token.type in _BLOCK_KIND:
            kind = "list_item" if in_item and token.type == "paragraph_open" else _BLOCK_KIND[token.type]
            level = int(token.tag[1]) if kind == "heading" else list_depth
            pending = (kind, level, first_line + token.map[0] + 1 if token.map else None)
        elif token.type == "inline" and pending:
            block = _inline(token, *pending)
            if block:
                blocks.append(block)
                check_blocks(len(blocks))
            pending = None
        elif token.type in ("code_block", "fence"):
            builder = InlineBuilder()
            for line in token.content.split("\n"):
                builder.text(line)
                builder.hard_break()
            block = builder.build("paragraph", line=first_line + token.map[0] + 1 if token.map else None)
            if block:
                blocks.append(block)
        elif token.type == "hr":
            blocks.append(Block("rule", "---", line=first_line + token.map[0] + 1 if token.map else None))


def _inline(token: Token, kind: str, level: int, line: int | None) -> Block | None:
    builder = InlineBuilder()
    for child in token.children or []:
        t = child.type
        if t in ("text", "code_inline"):
            builder.text(child.content)
        elif t == "softbreak":
            builder.text(" ")
        elif t == "hardbreak":
            builder.hard_break()
        elif t == "link_open":
            builder.open("link", str(child.attrs.get("href", "")) or None)
        elif t == "link_close":
            builder.close("link")
        elif t in ("em_open", "strong_open"):
            builder.open(t[:-5])
        elif t in ("em_close", "strong_close"):
            builder.close(t[:-6])
    return builder.build(kind, level, line)
