"""Markdown converted from the site's HTML, parsed with pyromark (pulldown-cmark, a compiled CommonMark
parser) so links, emphasis, hard breaks and list nesting come from a real parser rather than regular
expressions. Its events carry byte ranges, which give each block's source line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import mdurl
import pyromark

from pipeline.extract.inline import InlineBuilder
from pipeline.extract.limits import check_blocks
from pipeline.model import Block, BlockKind, SpanKind

_EMPHASIS: dict[str, SpanKind] = {"Emphasis": "em", "Strong": "strong"}
_CONTAINERS = {"List", "Item", "BlockQuote", "HtmlBlock"}  # a block start that ends a tight list item's text


class _Lines:
    """1-based line of a UTF-8 byte offset; offsets mostly arrive in order, so counting resumes."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8")
        self.offset, self.line = 0, 1

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, 1
        self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = _Lines(text)
        self.blocks: list[Block] = []
        self.list_depth = 0
        self.item_depth = 0
        self.image_depth = 0  # an image's alt text is not page text
        self.builder: InlineBuilder | None = None
        self.kind: BlockKind = "paragraph"
        self.level, self.line = 0, 0
        self.code: list[str] | None = None

    def begin(self, kind: BlockKind, level: int, start: int) -> None:
        self.builder, self.kind, self.level, self.line = InlineBuilder(), kind, level, self.lines.at(start)

    def finish(self) -> None:
        if self.builder is not None:
            block = self.builder.build(self.kind, self.level, self.line)
            if block:
                self.blocks.append(block)
                check_blocks(len(self.blocks))
        self.builder = None

    def inline(self, start: int) -> InlineBuilder:
        """The open block's builder; inline content straight inside a tight list item opens its own."""
        if self.builder is None:
            self.begin("list_item" if self.item_depth else "paragraph", self.list_depth, start)
        assert self.builder is not None
        return self.builder

    def start(self, tag: Any, start: int) -> None:
        name = tag if isinstance(tag, str) else next(iter(tag))
        if name in _EMPHASIS or name == "Link":
            if not self.image_depth:
                href = mdurl.encode(_destination(tag["Link"])) if name == "Link" else None
                self.inline(start).open(_EMPHASIS.get(name, "link"), href or None)
        elif name == "Image":
            self.inline(start)
            self.image_depth += 1
        elif name == "Paragraph":
            self.finish()
            self.begin("list_item" if self.item_depth else "paragraph", self.list_depth, start)
        elif name == "Heading":
            self.finish()
            self.begin("heading", int(tag["Heading"]["level"][1]), start)
        elif name == "CodeBlock":
            self.finish()
            self.begin("paragraph", 0, start)
            self.code = []
        elif name in _CONTAINERS:
            self.finish()
            self.list_depth += name == "List"
            self.item_depth += name == "Item"

    def end(self, tag: Any) -> None:
        name = tag if isinstance(tag, str) else next(iter(tag))
        if name in _EMPHASIS or name == "Link":
            if not self.image_depth and self.builder is not None:
                self.builder.close(_EMPHASIS.get(name, "link"))
        elif name == "Image":
            self.image_depth -= 1
        elif name == "CodeBlock":
            assert self.builder is not None and self.code is not None
            for line in "".join(self.code).split("\n"):
                self.builder.text(line)
                self.builder.hard_break()
            self.code = None
            self.finish()
        elif name in ("Paragraph", "Heading", "Item"):
            self.finish()
            self.item_depth -= name == "Item"
        elif name == "List":
            self.list_depth -= 1

    def text(self, piece: str, start: int) -> None:
        if self.code is not None:
            self.code.append(piece)
        elif not self.image_depth:
            self.inline(start).text(piece)


def _destination(link: dict) -> str:
    return "mailto:" + link["dest_url"] if link["link_type"] == "Email" else link["dest_url"]


def read_markdown(text: str, notes: list[str] | None = None) -> list[Block]:
    reader = _Reader(text)
    # pyromark's TypedDict events, read by their one key: a string or a one-key dict
    events: Iterable[tuple[Any, Any]] = pyromark.events_with_range(text, merge_text=True)
    for event, where in events:
        if isinstance(event, str):  # SoftBreak, HardBreak, Rule
            if event == "SoftBreak":
                reader.text(" ", where["start"])
            elif event == "HardBreak" and not reader.image_depth:
                reader.inline(where["start"]).hard_break()
            elif event == "Rule":
                reader.finish()
                reader.blocks.append(Block("rule", "---", line=reader.lines.at(where["start"])))
            continue
        if "Text" in event:  # (an event has one key: asked for in order of frequency)
            reader.text(event["Text"], where["start"])
        elif "End" in event:
            reader.end(event["End"])
        elif "Start" in event:
            reader.start(event["Start"], where["start"])
        elif "Code" in event:
            reader.text(event["Code"], where["start"])
        elif "InlineHtml" in event:  # tags are dropped, the text between them kept
            reader.inline(where["start"])
    reader.finish()
    return reader.blocks
