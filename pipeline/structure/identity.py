"""What page a capture is, and for a cell page which cell.

A page names itself in a title line ("Alcohol Treatment Matrix cell E1: Treatment systems; …"),
a heading ("Drug Treatment Matrix cell D2 Matrix cell logo") followed by a labels line, or an
older "Drug Matrix cell A4: …". Such a line must *start* a block: cross-references inside text
("discussed in cell A1") are never taken as the page's identity. Failing that, the capture's
URL says which cell it is, and as a last resort the labels line plus the matrix the page's
navigation points back to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import CleanBlock, PageKind
from pipeline.site import matrix

_SELF = re.compile(
    r"^(?P<matrix>Alcohol|Drugs?)\s+(?:Treatment\s+)?Matrix\s+cell\s+(?P<code>[A-E][1-5])\b"
    r"(?:\s*(?:Matrix cell logo)?\s*[:;]?\s*(?P<labels>.*?))?\s*(?:Matrix cell logo)?\s*$",
    re.I,
)
_SELF_OPENINGS = ("A", "a", "D", "d")  # the letters _SELF can start with (Alcohol, Drug), in either case
_LABELS = re.compile(r"^(?P<column>[A-Za-z/ ]+?)\s*(?:[;:]\s*(?P<row>[^;:]+?))?\s*\.?$")
_MATRIX_HINT = re.compile(r"\b(?:one of \d+ cells in the|return to/go to)\s+(Alcohol|Drugs?)\b", re.I)
_ANALYSIS_MARKERS = re.compile(
    r"^(?:This entry is our analysis of|Top 10 most closely related documents|"
    r"Unable to obtain a copy by clicking title|Summary [A-Z]|Findings logo commentary|"
    r"[A-Z][^.:]{2,80}(?::\s*(?:19|20)\d\d,|,\s*(?:19|20)\d\d\(\d+\),)\s*.*\b(?:p\.|Art\. No))"
)
# What a block must start with or hold for _ANALYSIS_MARKERS to match it: its fixed openings, or the page or
# article number its source line ends on. Most blocks have none, and skip the pattern (whose source-line
# branch backtracks over up to 80 characters of any capitalised block)
_ANALYSIS_OPENINGS = (
    "This entry is our analysis of",
    "Top 10 most closely related documents",
    "Unable to obtain a copy by clicking title",
    "Summary ",
    "Findings logo commentary",
)


def _analysis_marker(text: str) -> bool:
    if not (text.startswith(_ANALYSIS_OPENINGS) or "p." in text or "Art. No" in text):
        return False
    return _ANALYSIS_MARKERS.match(text) is not None


_COLUMN_WORDS = "(?:" + "|".join(map(re.escape, matrix.COLUMNS.values())) + ")"
_OVERVIEW_MARKERS = re.compile(
    rf"^(?:Matrix Row logo|Effectiveness Bank web site Matrix row)|"
    rf"^Cell [A-E][1-5]\b|\b[A-E][1-5]\.? {_COLUMN_WORDS}[;:]|"
    rf"(?:^|\|)[A-E] {_COLUMN_WORDS}\S",
    re.I | re.M,
)
_ANALYSIS_URL = re.compile(r"dl\.php\?(?:.*&)?f(?:ile)?=(?!Matrix)[^&]+\.(?:txt|cab)\b", re.I)
_OVERVIEW_URL = re.compile(r"/[ad]matrix\.php|Matrix/(?:Alcohol|Drugs?)/(?:row|Row)", re.I)


@dataclass
class Identity:
    matrix: str
    column_code: str
    row_code: int
    column_label: str | None
    row_label: str | None
    source: str  # title | heading | url | labels
    naming: list[int]  # indices (into the cleaned blocks) of the title, heading and labels lines


def _self_naming(text: str) -> re.Match[str] | None:
    """_SELF's match of a block's text: most blocks fail on their first letter, before the copy and the match."""
    return _SELF.match(text.replace("\n", " ")) if text.startswith(_SELF_OPENINGS) else None


def self_named_cell(text: str) -> str | None:
    """The cell a line names itself as ("Drug Treatment Matrix cell A4: …"), or None."""
    m = _self_naming(text)
    return matrix.cell_id(matrix.matrix_name(m.group("matrix")), m.group("code").upper()) if m else None


def split_labels(text: str, matrix_name: str | None = None) -> tuple[str, str | None] | None:
    """ "Treatment systems; Psychosocial therapies" → (column, row); a lone column label → (column, None)."""
    m = _LABELS.match(text.strip())
    if not m or not matrix.column_code(m.group("column")):
        return None
    row = m.group("row")
    if row and matrix.row_code(matrix_name, row) is None and len(row.split()) > 6:
        return None
    return m.group("column").strip(), row.strip() if row else None


def find_identity(blocks: list[CleanBlock], url: str | None) -> Identity | None:
    for i, cb in enumerate(blocks):
        if cb.role not in ("content", "furniture"):
            continue
        m = _self_naming(cb.block.text)
        if not m:
            continue
        name = matrix.matrix_name(m.group("matrix"))
        code = m.group("code").upper()
        labels = split_labels(m.group("labels") or "", name) if m.group("labels") else None
        labels_index = None
        if labels is None:
            labels_index, labels = _next_labels(blocks, i + 1, name)
        column, row = labels if labels else (None, None)
        naming = [i, labels_index] + _naming_again(blocks, i + 1, m.group("code").upper())
        return Identity(
            name,
            code[0],
            int(code[1]),
            column,
            row,
            "title" if m.group("labels") else "heading",
            sorted(j for j in naming if j is not None),
        )
    labels_index, labels = _next_labels(blocks, 0, None, search=len(blocks))
    from_url = matrix.cell_from_url(url)
    found = [labels_index] if labels and labels_index is not None else []
    if from_url:
        name, code = from_url.split("-")
        column_label, row_label = labels if labels else (None, None)
        return Identity(name, code[0], int(code[1]), column_label, row_label, "url", found)
    if labels and labels[1]:
        hinted = _matrix_hint(blocks) or (
            "alcohol"
            if matrix.row_code("alcohol", labels[1]) == 1 and matrix.row_code("drug", labels[1]) is None
            else None
        )
        row_number = matrix.row_code(hinted, labels[1])
        column_letter = matrix.column_code(labels[0])
        if hinted and row_number and column_letter:
            return Identity(hinted, column_letter, row_number, labels[0], labels[1], "labels", found)
    return None


def _naming_again(blocks: list[CleanBlock], start: int, code: str) -> list[int | None]:
    """Later lines naming the same cell (a heading after the title line) and their labels lines."""
    found: list[int | None] = []
    for i in range(start, len(blocks)):
        m = _self_naming(blocks[i].block.text)
        if m and m.group("code").upper() == code:
            found += [i, _next_labels(blocks, i + 1, None)[0] if not m.group("labels") else None]
    return found


def _next_labels(
    blocks: list[CleanBlock], start: int, name: str | None, search: int = 3
) -> tuple[int | None, tuple[str, str | None] | None]:
    """The labels line: the first short content block within `search` blocks that reads as labels."""
    seen = 0
    for i in range(start, len(blocks)):
        cb = blocks[i]
        if not cb.is_content:
            continue
        labels = split_labels(cb.block.text, name) if len(cb.block.text) < 90 else None
        if labels:
            return i, labels
        seen += 1
        if seen >= search:
            break
    return None, None


def _matrix_hint(blocks: list[CleanBlock]) -> str | None:
    """The matrix a page's own furniture points back to ("Return to/go to Drugs Matrix")."""
    for cb in blocks:
        m = _MATRIX_HINT.search(cb.block.text)
        if m:
            return matrix.matrix_name(m.group(1))
    return None


def page_kind(blocks: list[CleanBlock], url: str | None, identity: Identity | None, has_entries: bool) -> PageKind:
    analysis = any(  # the first will do
        cb.reason == "analysis-header" or (cb.is_content and _analysis_marker(cb.block.text)) for cb in blocks
    )
    if identity and (identity.source in ("title", "heading") or has_entries) and not analysis:
        return "cell"
    if analysis or (url and _ANALYSIS_URL.search(url)):
        return "analysis"
    overview = sum(len(_OVERVIEW_MARKERS.findall(cb.block.text)) for cb in blocks)
    if overview >= 3 or (url and _OVERVIEW_URL.search(url)):
        return "overview"
    if identity and has_entries:
        return "cell"
    return "other"
