"""Matrix overview and row pages: the labels (and blurbs) of each matrix's columns and rows.

The overview's 5×5 table arrives flattened, each heading run into its blurb
("A InterventionsTechniques, programmes … more |"), so the site's own axis labels are used to
split label from description. Row pages give a row's label ("Matrix Row logo <row title>").
"""

from __future__ import annotations

import re

from pipeline.model import Axis, CleanBlock
from pipeline.site import matrix

_PAGE_MATRIX = re.compile(r"\b(Alcohol|Drugs?) (?:Treatment )?Matrix\b", re.I)
_ROW_PAGE = re.compile(r"^Matrix Row logo\s+(?P<label>.+)$", re.I)


def _segments(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"\|", text) if s.strip()]


def _axis(segment: str, codes: str, labels: dict) -> tuple[str, str, str | None] | None:
    m = re.match(rf"^([{codes}])\.?\s+(.*)$", segment, re.S)
    if not m:
        return None
    code, rest = m.group(1), m.group(2)
    label = labels.get(code)
    if not label or not rest.lower().startswith(label.lower()):
        return None
    description = re.sub(r"\s*\bmore\s*$", "", rest[len(label) :]).strip(" .;:")
    return code, rest[: len(label)], description or None


def build_axes(blocks: list[CleanBlock], url: str | None) -> list[Axis]:
    texts = [cb.block.text for cb in blocks]
    named = next((m for t in texts[:12] for m in [_PAGE_MATRIX.search(t)] if m), None)
    which: str | None
    if url and re.search(r"amatrix|Alcohol", url):
        which = "alcohol"
    elif url and re.search(r"dmatrix|Drug", url):
        which = "drug"
    else:
        which = matrix.matrix_name(named.group(1)) if named else None
    if which is None:
        return []
    axes: dict[tuple[str, str], Axis] = {}
    for cb in blocks:
        if not cb.is_content:
            continue
        row_page = _ROW_PAGE.match(cb.block.text)
        if row_page:
            code = matrix.row_code(which, row_page.group("label"))
            if code:
                axes[("row", str(code))] = Axis(which, "row", str(code), row_page.group("label").strip(), None)
            continue
        for segment in _segments(cb.block.text):
            column = _axis(segment, "A-E", matrix.COLUMNS)
            if column:
                axes.setdefault(("column", column[0]), Axis(which, "column", *column))
            row = _axis(segment, "1-5", {str(k): v for k, v in matrix.ROWS[which].items()})
            if row:
                axes.setdefault(("row", row[0]), Axis(which, "row", *row))
    return [axes[k] for k in sorted(axes)]
