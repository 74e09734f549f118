"""Records passed between stages.

Every reader (text, Markdown, HTML) produces the same `Capture` of ordered `Block`s, so cleaning
and structuring never need to know which format a page arrived in. All records are plain
dataclasses that round-trip through JSON (`to_json` / `from_json`) for the interim files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, TypeVar

import msgspec

# The kinds records hold, as Literals so that msgspec checks them on decode: an interim record with a
# kind no reader makes is damaged, and is made again from its source.
BlockKind = Literal["heading", "paragraph", "list_item", "rule"]  # what the readers make of the page
SpanKind = Literal["link", "em", "strong"]  # the inline marks they keep
ReadFormat = Literal["text", "markdown", "html"]  # the formats a reader exists for (extract/detect.py tells)
Format = ReadFormat | Literal["warc", "unknown"]  # …or a capture no reader read: a WARC's problem, or unreadable
Role = Literal["content", "furniture", "repeat", "pullquote", "chart", "joined"]  # what cleaning made of a block
PageKind = Literal["cell", "analysis", "overview", "other"]


@dataclass(frozen=True)
class Span:
    """An inline mark over `text[start:end]`: a link (with href, None when the capture lost it) or emphasis."""

    start: int
    end: int
    kind: SpanKind
    href: str | None = None


@dataclass
class Block:
    """One block of a page as captured: heading, paragraph, list item or rule.

    `text` holds hard line breaks as "\\n" (cut-off sidebars break mid-phrase); soft breaks are spaces.
    `line` is the 1-based source line the block starts on (provenance). `landmark` is set by the
    HTML reader when the block sits in a navigation, sidebar, header or footer container.
    """

    kind: BlockKind
    text: str
    spans: list[Span] = field(default_factory=list)
    level: int = 0
    line: int | None = None
    landmark: str | None = None


@dataclass
class Capture:
    """A raw capture read into blocks, with where it came from."""

    file: str
    format: Format
    sha256: str
    blocks: list[Block]
    url: str | None = None
    captured_at: str | None = None
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class CleanBlock:
    """A block after cleaning: `role` says whether it is page content or what was removed and why."""

    block: Block
    role: Role = "content"
    reason: str = ""

    @property
    def is_content(self) -> bool:
        return self.role == "content"


@dataclass
class CleanCapture:
    capture: Capture
    blocks: list[CleanBlock]
    warnings: list[str] = field(default_factory=list)

    def content(self) -> list[Block]:
        return [cb.block for cb in self.blocks if cb.is_content]


@dataclass
class Reference:
    """A parenthesised reference such as "([UK] Home Office, 1999)" or "(2014; free source …)"."""

    text: str  # inside the parentheses, as printed
    year: int | None
    years: list[int]
    issuer: str | None
    jurisdiction: str | None
    note: str | None
    start: int = 0  # offsets of the parenthetical (with its parentheses) in the containing text
    end: int = 0


@dataclass(frozen=True)
class Mention:
    """A mention of a cell in running text over `text[start:end]`: "cell E3", "cells A1 and B2" (one
    mention per cell named), "cell D2 of the Alcohol Treatment Matrix"."""

    start: int
    end: int
    text: str  # as printed, the whole phrase
    target_cell_id: str


@dataclass
class Rich:
    """Text with its inline spans (a paragraph, an annotation, the "more" line).

    On a cell page the structure stage also reads the text's `references` (every parenthesised
    reference, the entry's own among them) and its `mentions` of cells, once per capture, so merge
    carries them with the text they were read from and publish only turns them into rows. Other
    pages leave them empty: their text is not cited from, and belongs to no matrix to read a mention in."""

    text: str
    spans: list[Span] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Entry:
    """One selected document of a cell. `body` is the entry after its tag letters: title, reference, annotation."""

    position: int
    types: list[str]
    types_inferred: bool
    title: str
    reference: Reference | None
    annotation: str
    body: Rich
    cut_off: bool = False
    line: int | None = None
    capture: str = ""

    @property
    def title_href(self) -> str | None:
        for span in self.body.spans:
            if span.kind == "link" and span.start < len(self.title) and span.end > 0:
                return span.href
        return None


@dataclass
class Paragraph:
    """A paragraph of running text (bite commentary, analysis body) under its headings."""

    section: str
    heading_path: list[str]
    body: Rich
    supplementary: bool = False


@dataclass
class CellPage:
    matrix: str  # "alcohol" | "drug"
    column_code: str
    row_code: int
    column_label: str | None
    row_label: str | None
    identity_from: str  # how the page's cell was known: "title" | "heading" | "url" | "labels"
    description: Rich | None = None
    last_revised: str | None = None
    first_uploaded: str | None = None
    entries: list[Entry] = field(default_factory=list)
    more: Rich | None = None
    bite: list[Paragraph] = field(default_factory=list)
    truncated: bool = False
    labels_printed: list[str] = field(default_factory=lambda: ["column", "row"])  # which labels the page printed

    @property
    def cell_id(self) -> str:
        return cell_id(self.matrix, self.column_code, self.row_code)


def cell_id(matrix: str, column_code: str, row_code: int) -> str:
    """A cell's id, "alcohol-A1": its matrix, column and row."""
    return f"{matrix}-{column_code}{row_code}"


@dataclass
class Related:
    """One line of an analysis page's "Top 10 most closely related documents" list."""

    kind: str  # as listed, lower case: "review", "study", "document", "matrix cell", …
    year: int
    title: str
    href: str | None = None
    target_cell_id: str | None = None


@dataclass
class AnalysisPage:
    title: str | None
    doc_kind: str | None
    authors: str | None = None
    source: str | None = None
    year: int | None = None
    summary: str | None = None
    key_points: list[str] = field(default_factory=list)
    commentary: str | None = None
    last_revised: str | None = None
    first_uploaded: str | None = None
    sections: list[Paragraph] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    cut_off: bool = False


@dataclass
class Axis:
    """A column or row of a matrix as an overview or row page labels it."""

    matrix: str
    axis: Literal["column", "row"]
    code: str  # "A"–"E" or "1"–"5"
    label: str
    description: str | None


@dataclass
class Page:
    """One capture understood: what kind of page it is and what it holds."""

    capture: str
    format: Format
    sha256: str
    kind: PageKind
    url: str | None = None
    captured_at: str | None = None
    cell: CellPage | None = None
    analysis: AnalysisPage | None = None
    axes: list[Axis] = field(default_factory=list)
    furniture_removed: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # any error quarantines the capture


@dataclass
class Cell:
    """A cell after merging every capture of it."""

    page: CellPage
    sources: list[str]


@dataclass
class Document:
    """An analysis page after merging every capture of it."""

    document_id: str
    page: AnalysisPage
    url: str | None
    sources: list[str]


# --- JSON round trip -------------------------------------------------------------------------


def to_json(obj: Any) -> str:
    return to_json_bytes(obj).decode("utf-8")


def to_json_bytes(obj: Any) -> bytes:
    return _ENCODER.encode(obj)


def to_pretty_json(obj: Any) -> str:
    """The same, indented, for files people open (report.json); msgspec, since json's indented output
    runs in pure Python and took most of publish's time on a large corpus."""
    return _pretty(obj).decode("utf-8")


def write_pretty(out: BinaryIO, record: dict) -> None:
    """`to_pretty_json(record)`, byte for byte, written to `out` a piece at a time: each value of the
    dict formatted on its own, a list's items one by one, so a report of any size is never held whole
    as text (report.json holds a record per capture). A list may be given as an iterator of runs of its
    items (lists), each formatted as it comes, and a value as a function, called when its key is
    reached (keys are written in sorted order): publish streams the captures a batch at a time and
    counts its totals as they go by."""
    out.write(b"{")
    for n, key in enumerate(sorted(record)):
        out.write((b",\n " if n else b"\n ") + _ENCODER.encode(key) + b": ")
        value = record[key]
        if callable(value):
            value = value()
        if isinstance(value, Iterator):
            empty = True
            for run in value:
                if run:  # "[\n  item,\n  item\n ]": its items, after a comma or the list's "["
                    out.write((b"[" if empty else b",") + _pretty(run, depth=1)[1:-3])
                    empty = False
            out.write(b"[]" if empty else b"\n ]")
        elif isinstance(value, list) and value:
            out.write(b"[")
            for m, item in enumerate(value):
                out.write((b",\n  " if m else b"\n  ") + _pretty(item, depth=2))
            out.write(b"\n ]")
        else:
            out.write(_pretty(value, depth=1))
    out.write(b"\n}" if record else b"}")


def _pretty(obj: Any, depth: int = 0) -> bytes:
    """Indented JSON, each line but the first indented `depth` levels more (a JSON string holds no newline)."""
    return msgspec.json.format(_ENCODER.encode(obj), indent=1).replace(b"\n", b"\n" + b" " * depth)


R = TypeVar("R")


def copied(record: R) -> R:
    """A deep copy of a record (a dataclass of plain data) made by msgspec: a page's copy costs a
    tenth of `copy.deepcopy`'s, which walks every object in Python."""
    return msgspec.json.decode(_ENCODER.encode(record), type=type(record))


def from_json(tp: type, text: str | bytes) -> Any:
    """Decode and type-check in one pass (msgspec builds the dataclasses directly, ~20x faster than json)."""
    return msgspec.json.decode(text, type=tp)


_ENCODER = msgspec.json.Encoder(order="sorted")  # sorted keys: the same record always gives the same bytes
