"""Publish stage: typed Arrow tables, checked before anything is written, then swapped into place."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import matrix
from pipeline.schemas import KEYS, SORT, TABLES, with_version

ALL_CELLS = {matrix.cell_id(m, f"{c}{r}") for m in matrix.MATRICES for c in matrix.COLUMNS for r in range(1, 6)}


class ValidationError(Exception):
    """The tables break the published contract; nothing was written."""


def to_arrow(tables: dict[str, list[dict]]) -> dict[str, pa.Table]:
    out = {}
    for name, schema in TABLES.items():
        rows = sorted(tables[name], key=lambda r: tuple(r[k] for k in SORT[name]))
        out[name] = pa.Table.from_pylist(rows, schema=with_version(schema))
    return out


def validate(tables: dict[str, list[dict]], today: date | None = None) -> list[str]:
    """Every broken rule, as a message; empty when the tables may be published."""
    problems = []
    max_year = (today or date.today()).year + 1
    for name, key in KEYS.items():
        values = [r[key] if isinstance(key, str) else tuple(r[k] for k in key) for r in tables.get(name, [])]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            problems.append(f"{name}: duplicate {key} {dupes[:5]}")
    cells = {r["cell_id"] for r in tables["cells"]}
    entries = {r["entry_id"] for r in tables["entries"]}
    documents = {r["document_id"] for r in tables.get("documents", [])}
    for name in ("entries", "citations", "links", "sections"):
        for row in tables.get(name, []):
            owner = row.get("document_id") if name != "entries" else None
            if (row["cell_id"] is None) == (owner is None) and name != "entries":
                problems.append(f"{name}: {row[KEYS[name]]} must belong to exactly one cell or document")
            if row["cell_id"] is not None and row["cell_id"] not in cells:
                problems.append(f"{name}: cell_id {row['cell_id']!r} has no row in cells")
            if row.get("document_id") is not None and row["document_id"] not in documents:
                problems.append(f"{name}: document_id {row['document_id']!r} has no row in documents")
            if name in ("citations", "links") and row["entry_id"] is not None and row["entry_id"] not in entries:
                problems.append(f"{name}: entry_id {row['entry_id']!r} has no row in entries")
    for row in tables["cells"]:
        if row["cell_id"] not in ALL_CELLS:
            problems.append(f"cells: {row['cell_id']!r} is not a cell of either matrix")
    for row in tables["links"]:
        if row["target_cell_id"] is not None and row["target_cell_id"] not in ALL_CELLS:
            problems.append(f"links: target_cell_id {row['target_cell_id']!r} is not a cell of either matrix")
    for name in ("entries", "documents"):
        for row in tables.get(name, []):
            if not (row["title"] or "").strip():
                problems.append(f"{name}: {row[KEYS[name]]} has an empty title")
    for name in ("entries", "citations", "documents"):
        for row in tables.get(name, []):
            if row["year"] is not None and not 1900 <= row["year"] <= max_year:
                problems.append(f"{name}: year {row['year']} outside 1900–{max_year} ({row[KEYS[name]]})")
    return problems


def write_tables(arrow: dict[str, pa.Table], processed: Path) -> list[Path]:
    """Write every table beside the published ones, then move each into place with an atomic rename."""
    processed.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=processed))
    try:
        for name, table in arrow.items():
            path = staging / f"{name}.parquet"
            pq.write_table(table, path, compression="zstd", use_dictionary=True, write_statistics=True)
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        written = []
        for name in arrow:
            target = processed / f"{name}.parquet"
            os.replace(staging / f"{name}.parquet", target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def safe_name(name: str) -> str:
    """A capture's name as a file name inside one folder: no separators, no leading dots."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")
    return cleaned or "capture"
