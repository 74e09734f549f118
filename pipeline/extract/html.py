"""HTML pages as the site serves them, walked with lxml.

The parser never touches the network, resolves no entities and drops comments and processing
instructions; script, style and template content is never read. Block-level elements start new
blocks; links and emphasis become spans. Blocks inside navigation, sidebar, header or footer
containers carry a `landmark` so cleaning can drop them even when their wording is new.
"""

from __future__ import annotations

import re

from lxml import etree

from pipeline.extract.inline import InlineBuilder
from pipeline.extract.limits import Unreadable, check_blocks
from pipeline.model import Block, BlockKind, SpanKind

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
_EMPHASIS: dict[str, SpanKind] = {"em": "em", "i": "em", "strong": "strong", "b": "strong"}
_CLOSING = _BLOCK | {"hr"}  # a tag whose start closes the block being built
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_LISTS = {"ul", "ol"}  # block-level, and each nests its items a level deeper
_LANDMARK_TAGS = {"nav": "nav", "aside": "sidebar", "header": "header", "footer": "footer"}
_LANDMARK_ROLES = {"navigation": "nav", "complementary": "sidebar", "banner": "header", "contentinfo": "footer"}
_LANDMARK_NAME = re.compile(r"(?:^|[-_\s])(sidebar|sidenav|nav|navbar|menu|footer|header|banner)(?:$|[-_\s\d])", re.I)

_XML_DECLARATION = re.compile(r"\s*<\?xml[^>]*\?>")  # opening the page: not read
PARSER_DEPTH = 2048  # libxml2's nesting limit with huge_tree; deeper, it stops reading the page


def _parser(encoding: str | None) -> etree.HTMLParser:
    # huge_tree: without it libxml2 drops everything after a text node or attribute of 10 MB (a data:
    # URI) or 256 levels of nesting; input is bounded by --max-bytes, and the HTML parser expands no
    # entities, so the limits it lifts protect nothing here
    # lxml.etree's parser, not lxml.html's: its elements are plain (the walk needs no HtmlElement methods),
    # so no Python class lookup runs for each element
    return etree.HTMLParser(
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
        recover=True,
        default_doctype=False,
        encoding=encoding,
    )


def _source(text: str) -> tuple[str | bytes, str | None]:
    """What the parser reads, and its encoding: the text as UTF-8 bytes, which libxml2 parses in about
    half the time it takes over a str (whose characters it converts first), with the encoding given so
    that a page's own <meta charset> is not read again (decode.py already chose). A text holding a lone
    surrogate has no UTF-8 form and is parsed as the str it is."""
    try:
        return text.encode("utf-8"), "utf-8"
    except UnicodeEncodeError:
        return text, None


def read_html(text: str, notes: list[str] | None = None, utf8: bytes | None = None) -> list[Block]:
    """Blocks of an HTML page (`notes`, the readers' shared signature, gets nothing from HTML). A page
    the parser could not read to its end is Unreadable rather than silently cut short. `utf8`: the
    text's UTF-8, when the caller has it (the capture's own bytes), which the parser then reads as is."""
    declaration = _XML_DECLARATION.match(text)
    if declaration:
        text, utf8 = text[declaration.end() :], None
    if not text.strip():
        return []
    source, encoding = (utf8, "utf-8") if utf8 is not None else _source(text)
    parser = _parser(encoding)
    try:
        root = etree.fromstring(source, parser)
    except (etree.ParserError, ValueError):
        return []
    if root is None:  # an empty document
        return []
    fatal = next((e for e in parser.error_log if e.level_name == "FATAL"), None)
    if fatal is not None:
        what = f"nested more than {PARSER_DEPTH} levels deep" if "depth" in fatal.message else fatal.message
        raise Unreadable(f"HTML {what} at line {fatal.line}: the rest of the page cannot be read")
    return _walk(root)


def _named_landmark(el: etree._Element) -> str | None:
    """The landmark an element's role, id or class names (a landmark's own tag is looked up first)."""
    role = el.get("role")
    if role and role.lower() in _LANDMARK_ROLES:
        return _LANDMARK_ROLES[role.lower()]
    ident, cls = el.get("id"), el.get("class")
    if not (ident or cls):
        return None
    m = _LANDMARK_NAME.search(f"{ident or ''} {cls or ''}")
    if m:
        word = m.group(1).lower()
        return {"sidenav": "sidebar", "navbar": "nav", "menu": "nav", "banner": "header"}.get(word, word)
    return None


def _walk(root: etree._Element) -> list[Block]:
    """Depth-first, without recursion: nesting as deep as the parser allows is read. One loop, with its
    state in locals, does what entering and leaving each element asks (about 90 elements and 70 blocks a
    page: a method call per element and event was a tenth of reading a page, and most block-level tags
    close a block with nothing written since the last one)."""
    blocks: list[Block] = []
    builder = InlineBuilder()
    kind: BlockKind = "paragraph"
    level, line, list_depth = 0, None, 0
    block_landmark: str | None = None  # of the element whose text opened the block
    landmark: str | None = None  # of the innermost element entered
    open_: list[tuple[str | None, str | None]] = []  # (tag, outer landmark) of each element entered; tag None: skipped
    events = etree.iterwalk(root, events=("start", "end"))
    for event, el in events:
        if event == "start":
            tag = el.tag
            outer = landmark
            if not isinstance(tag, str) or tag in _SKIP:
                events.skip_subtree()
                open_.append((None, outer))
                continue
            open_.append((tag, outer))
            # most elements have no attributes at all, and then nothing but the tag can name one
            landmark = _LANDMARK_TAGS.get(tag) or (_named_landmark(el) if el.attrib else None) or outer
            if tag in _CLOSING:
                if not builder.untouched:
                    _close(builder, kind, level, line, block_landmark, blocks)
                kind, level, line = "paragraph", 0, None
                if tag in _HEADINGS:
                    kind, level = "heading", int(tag[1])
                elif tag == "li":
                    kind, level = "list_item", max(list_depth, 1)
                elif tag in _LISTS:
                    list_depth += 1
            elif tag in _EMPHASIS:
                builder.open(_EMPHASIS[tag])
            elif tag == "a":
                builder.open("link", el.get("href"))
            elif tag == "br":
                builder.hard_break()
            text = el.text
            if text:
                if line is None:
                    line, block_landmark = el.sourceline, landmark
                builder.text(text)
            continue
        tag, landmark = open_.pop()
        if tag is not None:
            if tag in _BLOCK:
                if tag in _LISTS:
                    list_depth -= 1
                if not builder.untouched:
                    _close(builder, kind, level, line, block_landmark, blocks)
                kind, level, line = "paragraph", 0, None
            elif tag in _EMPHASIS:
                builder.close(_EMPHASIS[tag])
            elif tag == "a":
                builder.close("link")
        tail = el.tail
        if tail and open_:  # text after an element belongs to its parent
            if line is None:
                line, block_landmark = el.getparent().sourceline, landmark
            builder.text(tail)
    if not builder.untouched:
        _close(builder, kind, level, line, block_landmark, blocks)
    return blocks


def _close(
    builder: InlineBuilder, kind: BlockKind, level: int, line: int | None, landmark: str | None, blocks: list[Block]
) -> None:
    """The block being built, added to `blocks` unless empty; the builder is left empty for the next."""
    block = builder.build(kind, level, line, landmark)
    if block:
        blocks.append(block)
        check_blocks(len(blocks))
