"""processed/findings.db and findings-metadata.json: a SQLite build of the tables for browsing in
Datasette (sqlite-utils), with the data dictionary as metadata.

Keys and foreign keys as in the data package; list columns as JSON arrays (Datasette facets them
item by item); full-text search over entry titles and annotations, work titles and bite text. So that
entries can be faceted by where they sit, the entries table here also carries its cell's matrix,
column and row codes. Run `python -m pipeline.export.sqlite --processed processed`.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pyarrow as pa

from pipeline.export import arguments
from pipeline.publish.datapackage import foreign_keys
from pipeline.publish.schemas import KEYS, TABLES
from pipeline.publish.write import read_published

FILE = "findings.db"
METADATA = "findings-metadata.json"
SEARCHED = {"entries": ["title", "annotation"], "works": ["title"], "sections": ["text"]}
PLACED = ("matrix", "column_code", "row_code")  # the cell's columns entries carry in this build
FACETS = {
    "entries": [*PLACED, {"array": "types"}],
    "cells": ["matrix", "column_code", "row_code", "captured"],
    "works": [{"array": "matrices"}, {"array": "types"}],
    "links": ["kind", "section"],
    "citations": ["role", "cited_by"],
    "captures": ["status", "page_kind"],
}
SORTED = {"entries": "position", "sections": "position", "cells": "cell_id"}


def _column(t: pa.DataType) -> type:
    """The SQLite column type (sqlite-utils' Python-type form): lists as JSON text, dates as ISO text."""
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return int
    return float if pa.types.is_floating(t) else str


def _value(v: object) -> object:
    return v.isoformat() if isinstance(v, date) else v


def build(processed: Path) -> Path:
    import sqlite_utils

    target, staging = processed / FILE, processed / f".{FILE}.tmp"
    staging.unlink(missing_ok=True)
    db = sqlite_utils.Database(staging)
    rows = {name: read_published(processed / f"{name}.parquet").to_pylist() for name in TABLES}
    place = {c["cell_id"]: {k: c[k] for k in PLACED} for c in rows["cells"]}
    for e in rows["entries"]:
        e.update(place[e["cell_id"]])
    for name, schema in TABLES.items():
        key = KEYS[name]
        columns = {f.name: _column(f.type) for f in schema} | ({k: str for k in PLACED} if name == "entries" else {})
        pk = key if isinstance(key, str) else tuple(key)
        db.table(name).create(columns, pk=pk)  # an empty table still gets its columns
        db.table(name).insert_all(({k: _value(v) for k, v in r.items()} for r in rows[name]), pk=pk)
    for name in TABLES:
        for fk in foreign_keys(name):
            db.table(name).add_foreign_key(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
    for name, searched in SEARCHED.items():
        db.table(name).enable_fts(searched, create_triggers=False, tokenize="porter")
    db.close()
    os.replace(staging, target)
    (processed / METADATA).write_text(json.dumps(metadata(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def metadata() -> dict:
    """Datasette metadata: each table's and column's description from the schemas, facets, sort order."""
    tables = {}
    for name, schema in TABLES.items():
        columns = {f.name: f.metadata[b"description"].decode() for f in schema}
        if name == "entries":
            columns |= {k: f"The entry's cell's `{k}` (this build only; → cells.{k})." for k in PLACED}
        table: dict = {"columns": columns}
        if name in FACETS:
            table["facets"] = FACETS[name]
        if name in SORTED:
            table["sort"] = SORTED[name]
        if name in SEARCHED:
            table["fts_table"] = f"{name}_fts"
        tables[name] = table
    return {
        "title": "Effectiveness Bank treatment matrices",
        "description": "Cells, entries, works, citations and links of the Drug and Alcohol Findings alcohol and "
        "drug treatment matrices; columns as in docs/data-dictionary.md.",
        "source": "Drug and Alcohol Findings Effectiveness Bank",
        "source_url": "https://findings.org.uk/",
        "databases": {"findings": {"tables": tables}},
    }


def main(argv: list[str] | None = None) -> int:
    return arguments.build_one("pipeline.export.sqlite", __doc__, build, argv)


if __name__ == "__main__":
    raise SystemExit(main())
