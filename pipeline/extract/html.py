"""HTML pages as the site serves them, walked with lxml.

The parser never touches the network, resolves no entities and drops comments and processing
instructions; script, style and template content is never read. Block-level elements start new
blocks; links and emphasis become spans. Blocks inside navigation, sidebar, header or footer
containers carry a `landmark` so cleaning can drop them even when their wording is new.
"""

from __future__ import annotations

import re

from lxml import etree, html

from pipeline.extract.inline import InlineBuilder
from pipeline.model import Block

_SKIP = {
    "script",
    "style",
    "template",
    "noscript",
    "head",
    "title",
    "meta",
    "link",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "select",
    "option",
    "button",
    "input",
    "textarea",
    "img",
}
_BLOCK = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "td",
    "th",
    "tr",
    "table",
    "tbody",
    "thead",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "main",
    "body",
    "figure",
    "figcaption",
    "form",
    "fieldset",
    "center",
    "address",
    "caption",
    "html",
}
_EMPHASIS = {"em": "em", "i": "em", "strong": "strong", "b": "strong"}
_LANDMARK_TAGS = {"nav": "nav", "aside": "sidebar", "header": "header", "footer": "footer"}
_LANDMARK_ROLES = {"navigation": "nav", "complementary": "sidebar", "banner": "header", "contentinfo": "footer"}
_LANDMARK_NAME = re.compile(r"(?:^|[-_\s])(sidebar|sidenav|nav|navbar|menu|footer|header|banner)(?:$|[-_\s\d])", re.I)

MAX_DEPTH = 200  # below libxml2's own limit of 256, so deep nesting is noticed here


def _parser() -> html.HTMLParser:
    return html.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, huge_tree=False, recover=True, default_doctype=False
    )


def read_html(text: str, notes: list[str] | None = None) -> list[Block]:
    """Blocks of an HTML page; problems worth reporting are appended to `notes`."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        return []
    try:
        root = html.document_fromstring(text, parser=_parser())
    except (etree.ParserError, ValueError):
        return []
    walker = _Walker()
    walker.walk(root, 0, None)
    walker.flush()
    if walker.too_deep and notes is not None:
        notes.append(f"HTML nested deeper than {MAX_DEPTH} levels; content below that depth was skipped")
    return walker.blocks


def _landmark(el: etree._Element) -> str | None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _LANDMARK_TAGS:
        return _LANDMARK_TAGS[tag]
    role = (el.get("role") or "").lower()
    if role in _LANDMARK_ROLES:
        return _LANDMARK_ROLES[role]
    name = f"{el.get('id') or ''} {el.get('class') or ''}"
    m = _LANDMARK_NAME.search(name)
    if m:
        word = m.group(1).lower()
        return {"sidenav": "sidebar", "navbar": "nav", "menu": "nav", "banner": "header"}.get(word, word)
    return None


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.builder = InlineBuilder()
        self.kind = "paragraph"
        self.level = 0
        self.line: int | None = None
        self.landmark: str | None = None
        self.list_depth = 0
        self.too_deep = False

    def flush(self) -> None:
        block = self.builder.build(self.kind, self.level, self.line, self.landmark)
        if block:
            self.blocks.append(block)
        self.builder = InlineBuilder()
        self.kind, self.level, self.line = "paragraph", 0, None

    def _start(self, el: etree._Element, landmark: str | None) -> None:
        if self.line is None:
            self.line = el.sourceline
            self.landmark = landmark

    def walk(self, el: etree._Element, depth: int, landmark: str | None) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if depth > MAX_DEPTH:
            self.too_deep = True
            return
        if tag is None or tag in _SKIP:
            return
        landmark = _landmark(el) or landmark
        is_block = tag in _BLOCK
        if is_block:
            self.flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.kind, self.level = "heading", int(tag[1])
            elif tag == "li":
                self.kind, self.level = "list_item", max(self.list_depth, 1)
        if tag in ("ul", "ol"):
            self.list_depth += 1
        if tag == "br":
            self.builder.hard_break()
        elif tag == "hr":
            self.flush()
        elif tag == "a":
            self.builder.open("link", el.get("href"))
        elif tag in _EMPHASIS:
            self.builder.open(_EMPHASIS[tag])
        if el.text:
            self._start(el, landmark)
            self.builder.text(el.text)
        for child in el:
            self.walk(child, depth + 1, landmark)
            if child.tail:
                self._start(el, landmark)
                self.builder.text(child.tail)
        if tag == "a":
            self.builder.close("link")
        elif tag in _EMPHASIS:
            self.builder.close(_EMPHASIS[tag])
        if tag in ("ul", "ol"):
            self.list_depth -= 1
        if is_block:
            self.flush()
