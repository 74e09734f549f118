"""Publish stage: typed Arrow tables, checked before anything is written, then swapped into place."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.publish.schemas import (
    KEYS,
    METADATA_KEY,
    SCHEMA_VERSION,
    SORT,
    TABLES,
    allowed,
    with_version,
)
from pipeline.runtime.atomic import exchange
from pipeline.site import matrix

log = logging.getLogger("pipeline")

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
        if row["target_cell_id"] is not None and row["target_cell_id"] not in cells:
            problems.append(f"links: target_cell_id {row['target_cell_id']!r} has no row in cells")
    problems += _outside_enums(tables)
    for name in ("entries", "documents"):
        for row in tables.get(name, []):
            if not (row["title"] or "").strip():
                problems.append(f"{name}: {row[KEYS[name]]} has an empty title")
    for name in ("entries", "citations", "documents"):
        for row in tables.get(name, []):
            if row["year"] is not None and not 1900 <= row["year"] <= max_year:
                problems.append(f"{name}: year {row['year']} outside 1900–{max_year} ({row[KEYS[name]]})")
    return problems


def _outside_enums(tables: dict[str, list[dict]]) -> list[str]:
    """Values a column holds that it is not declared to hold (a list column: item by item)."""
    problems = []
    for name, schema in TABLES.items():
        for field in schema:
            values = allowed(field)
            if not values:
                continue
            for row in tables.get(name, []):
                held = row.get(field.name)
                for value in held if isinstance(held, list) else [held]:
                    if value is not None and value not in values:
                        problems.append(f"{name}: {field.name} {value!r} is not one of {values}")
    return problems


class SchemaVersionError(Exception):
    """A published table was written under another schema version."""


def write_tables(arrow: dict[str, pa.Table], processed: Path, extra: dict[str, str] | None = None) -> list[Path]:
    """Write the whole new set beside the published folder, then swap the folders in one step.

    Readers of `processed/` see either the old set or the new one, never a mix; a run killed at any
    moment leaves the previous set in place (and at worst a staging folder, removed by the next run).
    """
    processed.mkdir(parents=True, exist_ok=True)
    for stale in processed.parent.glob(f".{processed.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{processed.name}.staging-", dir=processed.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)
    try:
        for keep in processed.iterdir():
            if keep.is_file() and keep.name.startswith(".") and keep.name != ".done":
                shutil.copy2(keep, staging / keep.name)
        for name, table in arrow.items():
            pq.write_table(
                table, staging / f"{name}.parquet", compression="zstd", use_dictionary=True, write_statistics=True
            )
        for name, text in (extra or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        for path in staging.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        pause = float(os.environ.get("PIPELINE_PUBLISH_PAUSE", "0") or 0)  # fault-injection hook for tests
        if pause:
            time.sleep(pause)
        if not exchange(staging, processed):
            for path in staging.iterdir():
                os.replace(path, processed / path.name)
        return sorted(processed / f"{name}.parquet" for name in arrow)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_published(path: Path) -> pa.Table:
    """Read a published table, refusing one written under another schema version."""
    table = pq.read_table(path)
    found = (table.schema.metadata or {}).get(METADATA_KEY)
    if found != SCHEMA_VERSION.encode():
        raise SchemaVersionError(
            f"{path} has schema version {found.decode() if found else 'none'}, this pipeline "
            f"writes {SCHEMA_VERSION}: rebuild it with `make all`"
        )
    return table
