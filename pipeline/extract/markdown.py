"""Markdown converted from the site's HTML, parsed with markdown-it-py (CommonMark) so links,
emphasis, hard breaks and list nesting come from a real parser rather than regular expressions."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.extract.inline import InlineBuilder
from pipeline.model import Block

_md = MarkdownIt("commonmark")

_BLOCK_KIND = {"paragraph_open": "paragraph", "heading_open": "heading"}


def read_markdown(text: str, notes: list[str] | None = None) -> list[Block]:
    blocks: list[Block] = []
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
            pending = (kind, level, token.map[0] + 1 if token.map else None)
        elif token.type == "inline" and pending:
            block = _inline(token, *pending)
            if block:
                blocks.append(block)
            pending = None
        elif token.type in ("code_block", "fence"):
            builder = InlineBuilder()
            for line in token.content.split("\n"):
                builder.text(line)
                builder.hard_break()
            block = builder.build("paragraph", line=token.map[0] + 1 if token.map else None)
            if block:
                blocks.append(block)
        elif token.type == "hr":
            blocks.append(Block("rule", "---", line=token.map[0] + 1 if token.map else None))
    return blocks


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
