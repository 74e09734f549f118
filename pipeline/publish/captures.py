"""The captures table: one row per capture, what it became and what it gave the merged row.

A capture is `quarantined` (it had errors), `superseded` (an older revision of its cell),
`identical` (the same bytes as another capture of its cell, counted once) or `published`. What a
published capture of a cell contributed comes from the merge's notes: the base of the merge gives
every field no other capture is noted for, the others only what the notes name; its entries are
those whose text was taken from it.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from pipeline.model import Cell, Document

Status = Literal["published", "superseded", "identical", "quarantined"]
CELL_FIELDS = ("description", "last_revised", "first_uploaded", "more", "bite")
_TAKEN = re.compile(r"^(\w+) taken from this capture$")
_TAGS_TAKEN = re.compile(r"^tag letters of .* taken from this capture$")
BASE = "base of "  # the merge's note on the capture it starts from


def status(described: dict, notes: list[str], published: set[str]) -> tuple[Status, str | None]:
    """The capture's fate, and why when it is not published."""
    if described["errors"]:
        return "quarantined", "; ".join(described["errors"])
    for prefix, fate in (("superseded", "superseded"), ("identical", "identical")):
        why = next((n for n in notes if n.startswith(prefix)), None)
        if why:
            return fate, why  # type: ignore[return-value]
    if described["kind"] == "cell" and described["file"] not in published:
        return "superseded", None
    return "published", None


def rows(
    described: list[dict], notes: dict[str, list[str]], cells: list[Cell], documents: list[Document], entries: list
) -> list[dict]:
    published = {s for c in cells for s in c.sources} | {s for d in documents for s in d.sources}
    document_of = {s: d.document_id for d in documents for s in d.sources}
    given = Counter(e["source_capture"] for e in entries)
    merged = {c.page.cell_id: c for c in cells}
    out = []
    for c in sorted(described, key=lambda c: c["file"]):
        mine = notes.get(c["file"], [])
        fate, reason = status(c, mine, published)
        became = document_of.get(c["file"]) if c["kind"] == "analysis" else c["cell_id"]
        fields: list[str] = []
        if fate == "published" and c["kind"] == "cell" and c["cell_id"] in merged:
            fields = _fields(c["file"], mine, merged[c["cell_id"]], notes)
        out.append(
            {
                "file": c["file"],
                "sha256": c["sha256"],
                "url": c["url"],
                "captured_at": c["captured_at"],
                "format": c["format"],
                "page_kind": c["kind"],
                "cell_id": c["cell_id"] if fate != "quarantined" else None,
                "document_id": became if c["kind"] == "analysis" else None,
                "status": fate,
                "reason": reason,
                "entries_found": c["entries_found"],
                "entries_contributed": given.get(c["file"], 0),
                "fields_contributed": fields,
                "furniture_removed": c["furniture_removed"],
                "warnings": list(c["warnings"]),
            }
        )
    return out


def _fields(file: str, mine: list[str], cell: Cell, notes: dict[str, list[str]]) -> list[str]:
    taken = {m.group(1) for n in mine if (m := _TAKEN.match(n))}
    if any(_TAGS_TAKEN.match(n) for n in mine):
        taken.add("tag letters")
    if any(n.startswith(BASE) for n in mine):
        page = cell.page
        elsewhere = {m.group(1) for s in cell.sources if s != file for n in notes.get(s, []) if (m := _TAKEN.match(n))}
        present = {f for f in CELL_FIELDS if getattr(page, f)}
        taken |= present - elsewhere
    return [f for f in (*CELL_FIELDS, "tag letters") if f in taken]
