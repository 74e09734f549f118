"""The captures table: one row per capture, what it became and what it gave the merged row.

A capture is `quarantined` (it had errors), `superseded` (an older revision of its cell),
`identical` (the same bytes as another capture of its cell, counted once) or `published`. What a
published capture of a cell contributed comes from the merge's notes: the base of the merge gives
every field no other capture is noted for, the others only what the notes name; its entries are
those whose text was taken from it.

Each row is made from the capture's own record (merge's captures.json) and what the set says of the
captures (`Fates`, small: the cells' and documents' sources), so the table is made a batch of
captures at a time (streamed.py) and never held whole.
"""

from __future__ import annotations

import re
from typing import Literal

from pipeline.publish.runreport import Described
from pipeline.publish.sitefacts import CELL_FIELDS, Facts

Status = Literal["published", "superseded", "identical", "quarantined"]
_TAKEN = re.compile(r"^(\w+) taken from this capture$")
_TAGS_TAKEN = re.compile(r"^tag letters of .* taken from this capture$")
BASE = "base of "  # the merge's note on the capture it starts from


def status(described: Described, notes: list[str], published: set[str]) -> tuple[Status, str | None]:
    """The capture's fate, and why when it is not published."""
    if described.errors:
        return "quarantined", "; ".join(described.errors)
    for prefix, fate in (("superseded", "superseded"), ("identical", "identical")):
        why = next((n for n in notes if n.startswith(prefix)), None)
        if why:
            return fate, why  # type: ignore[return-value]
    if described.kind == "cell" and described.file not in published:
        return "superseded", None
    return "published", None


class Fates:
    """Each capture's fate and row, from its record, merge's notes, the site's facts, and the errors
    publish gave the captures behind rows that broke the contract (`added`)."""

    def __init__(self, notes: dict[str, list[str]], site: Facts, added: dict[str, list[str]]) -> None:
        self.notes, self.site, self.added = notes, site, added
        self.published = {s for c in site.cells.values() for s in c.sources} | {
            s for sources in site.documents.values() for s in sources
        }
        self.document_of = {s: d for d, sources in site.documents.items() for s in sources}

    def row(self, c: Described) -> dict:
        """The capture's row; its record is given its status and notes (and publish's errors) in place,
        as report.json states it."""
        if added := self.added.get(c.file):
            c.errors = [*c.errors, *added]
        mine = self.notes.get(c.file, [])
        fate, reason = status(c, mine, self.published)
        c.status, c.notes = fate, mine
        fields: list[str] = []
        if fate == "published" and c.kind == "cell" and c.cell_id in self.site.cells:
            fields = self._fields(c.file, mine, c.cell_id)
        return {
            "file": c.file,
            "sha256": c.sha256,
            "url": c.url,
            "captured_at": c.captured_at,
            "format": c.format,
            "page_kind": c.kind,
            "cell_id": c.cell_id if fate != "quarantined" else None,
            "document_id": self.document_of.get(c.file) if c.kind == "analysis" else None,
            "status": fate,
            "reason": reason,
            "entries_found": c.entries_found,
            "entries_contributed": self.site.given.get(c.file, 0),
            "fields_contributed": fields,
            "furniture_removed": c.furniture_removed,
            "warnings": list(c.warnings),
        }

    def _fields(self, file: str, mine: list[str], cell_id: str) -> list[str]:
        taken = {m.group(1) for n in mine if (m := _TAKEN.match(n))}
        if any(_TAGS_TAKEN.match(n) for n in mine):
            taken.add("tag letters")
        if any(n.startswith(BASE) for n in mine):
            cell = self.site.cells[cell_id]
            elsewhere = {
                m.group(1) for s in cell.sources if s != file for n in self.notes.get(s, []) if (m := _TAKEN.match(n))
            }
            taken |= set(cell.present) - elsewhere
        return [f for f in (*CELL_FIELDS, "tag letters") if f in taken]
