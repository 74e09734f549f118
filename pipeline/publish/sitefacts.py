"""What the rest of a published set needs of the site tables (cells, entries, works, citations, links,
documents, sections, matrix_axes), kept between runs in interim/publish/site.json.

The site tables are made from merge's cells, documents and axes only. A new capture that leaves every
cell and document as merged before (an older revision, a copy) changes only the captures and the
history, so a run whose three files are those of the last set takes these facts from here and copies
the site tables in place, without decoding a cell or building a row of them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import msgspec

from pipeline.model import Cell, Document
from pipeline.runtime.atomic import write_bytes_atomic

FILE = "site.json"
SITE_TABLES = ("cells", "entries", "works", "citations", "links", "documents", "sections", "matrix_axes")
CELL_FIELDS = ("description", "last_revised", "first_uploaded", "more", "bite")  # a merged cell's page fields


class MergedCell(msgspec.Struct):
    """What a capture's row needs of the cell it was merged into."""

    sources: list[str]
    present: list[str]  # the fields of `CELL_FIELDS` its merged page has


class Facts(msgspec.Struct):
    """The site tables as the captures table, the validation of the history, report.json and
    datapackage.json see them."""

    rows: dict[str, int]  # rows per table
    cells: dict[str, MergedCell]  # every captured cell published
    documents: dict[str, list[str]]  # document → its sources
    cell_ids: list[str]  # every row of the cells table (captured or not)
    given: dict[str, int]  # capture → how many entries took their text from it
    dated: str | None  # the latest date a cell or document page shows (ISO)


def facts(cells: list[Cell], documents: list[Document], tables: dict[str, list[dict]]) -> Facts:
    dates = [
        r[k]
        for name in ("cells", "documents")
        for r in tables[name]
        for k in ("last_revised", "first_uploaded")
        if r[k]
    ]
    return Facts(
        {name: len(tables[name]) for name in SITE_TABLES},
        {c.page.cell_id: MergedCell(list(c.sources), [f for f in CELL_FIELDS if getattr(c.page, f)]) for c in cells},
        {d.document_id: list(d.sources) for d in documents},
        [r["cell_id"] for r in tables["cells"]],
        dict(Counter(e["source_capture"] for e in tables["entries"])),
        max(dates).isoformat() if dates else None,
    )


class _Kept(msgspec.Struct):
    key: str  # of merge's cells, documents and axes, the publish code and the valid years
    tables: dict[str, str]  # table → the key of the rows its file was written from
    facts: Facts


def kept(folder: Path, key: str) -> tuple[dict[str, str], Facts] | None:
    """The facts and table keys kept under `key`; None when there are none (or they are damaged)."""
    try:
        found = msgspec.json.decode((folder / FILE).read_bytes(), type=_Kept)
    except (OSError, ValueError):
        return None
    return (found.tables, found.facts) if found.key == key else None


def keep(folder: Path, key: str, tables: dict[str, str], facts: Facts | None) -> None:
    """Keep this set's facts (None: the set left cells or documents out, nothing is kept)."""
    if facts is None:
        (folder / FILE).unlink(missing_ok=True)
        return
    write_bytes_atomic(folder / FILE, msgspec.json.encode(_Kept(key, tables, facts)))
