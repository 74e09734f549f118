"""The published contract, checked row by row before anything is written.

A problem that belongs to one cell's or one document's rows is the fault of the captures behind it:
publish quarantines those captures with the rule they broke and publishes the rest. A problem that
belongs to no single owner (a key shared by two rows of different cells) is the pipeline's own fault
and stops the run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pyarrow as pa

from pipeline.publish.schemas import KEYS, TABLES, allowed
from pipeline.site.rules import CELLS, FIRST_YEAR, last_year

Rule = Literal["unique key", "foreign key", "one owner", "known cell", "title", "year range", "allowed values"]
OWNED = ("entries", "citations", "links", "sections", "cell_revisions", "entry_history", "changes")  # rows of one owner


@dataclass(frozen=True)
class Problem:
    rule: Rule
    message: str
    cell_id: str | None = None  # the owner whose captures broke it, when there is one
    document_id: str | None = None

    @property
    def owner(self) -> str | None:
        return self.cell_id or self.document_id


def validate(
    tables: dict[str, list[dict]], today: date | None = None, known: dict[str, set[str]] | None = None
) -> list[Problem]:
    """Every broken rule; empty when the tables may be published. `known`: the keys of the cells,
    entries or documents table when it is not among `tables` (site tables kept from the last set,
    which was checked whole)."""
    problems: list[Problem] = []
    max_year = last_year(today)
    for name, key in KEYS.items():
        rows = tables.get(name, [])
        values = Counter(r[key] if isinstance(key, str) else tuple(r[k] for k in key) for r in rows)
        dupes = sorted(v for v, n in values.items() if n > 1)
        if dupes:
            problems.append(Problem("unique key", f"{name}: duplicate {key} {dupes[:5]}"))
    known = known or {}
    cells, entries, documents = (
        known[name] if name in known else {r[KEYS[name]] for r in tables.get(name, [])}
        for name in ("cells", "entries", "documents")
    )
    for name in OWNED:
        for row in tables.get(name, []):
            cell, document = row["cell_id"], row.get("document_id")
            if name != "entries" and (cell is None) == (document is None):
                problems.append(Problem("one owner", f"{name}: {row[KEYS[name]]} must belong to one cell or document"))
            if cell is not None and cell not in cells:
                problems.append(Problem("foreign key", f"{name}: cell_id {cell!r} has no row in cells"))
            if document is not None and document not in documents:
                problems.append(Problem("foreign key", f"{name}: document_id {document!r} has no row in documents"))
            if name in ("citations", "links") and row["entry_id"] is not None and row["entry_id"] not in entries:
                problems.append(Problem("foreign key", f"{name}: entry_id {row['entry_id']!r} has no row in entries"))
    for row in tables.get("cells", []):
        if row["cell_id"] not in CELLS:
            problems.append(Problem("known cell", f"cells: {row['cell_id']!r} is not a cell of either matrix"))
    for row in tables.get("links", []):
        target = row["target_cell_id"]
        if target is not None and target not in CELLS:
            message = f"links: target_cell_id {target!r} is not a cell of either matrix"
            problems.append(Problem("known cell", message, row["cell_id"], row.get("document_id")))
        elif target is not None and target not in cells:
            problems.append(Problem("foreign key", f"links: target_cell_id {target!r} has no row in cells"))
    problems += outside_enums(tables)
    for name in ("entries", "documents"):
        for row in tables.get(name, []):
            if not (row["title"] or "").strip():
                message = f"{name}: {row[KEYS[name]]} has an empty title"
                problems.append(Problem("title", message, row.get("cell_id"), row.get("document_id")))
    for name in ("entries", "citations", "documents"):
        for row in tables.get(name, []):
            year = row["year"]
            if year is not None and not FIRST_YEAR <= year <= max_year:
                message = f"{name}: year {year} outside {FIRST_YEAR}–{max_year} ({row[KEYS[name]]})"
                problems.append(Problem("year range", message, row.get("cell_id"), row.get("document_id")))
    return problems


def outside_enums(tables: dict[str, list[dict]]) -> list[Problem]:
    """Values a column holds that it is not declared to hold (a list column: item by item). The rows
    are walked one by one only for a column whose values are not all allowed."""
    problems = []
    for name, schema in TABLES.items():
        rows = tables.get(name, [])
        for field in schema:
            values = allowed(field)
            if not values or not rows:
                continue
            column = field.name
            if _all_allowed(rows, column, pa.types.is_list(field.type), {*values, None}):
                continue
            for row in rows:
                for value in _items(row.get(column)):
                    if value is not None and value not in values:
                        message = f"{name}: {column} {value!r} is not one of {values}"
                        problems.append(Problem("allowed values", message, row.get("cell_id"), row.get("document_id")))
    return problems


def _all_allowed(rows: list[dict], column: str, listed: bool, values: set) -> bool:
    """Whether every value (item, in a list column) the column holds is one of `values`, as a set."""
    try:
        if listed:
            return {v for held in (row.get(column) for row in rows) for v in _items(held)} <= values
        return {row.get(column) for row in rows} <= values
    except TypeError:  # a value that cannot be hashed: never allowed, told row by row
        return False


def _items(held: object) -> list:
    return held if isinstance(held, list) else [held]
