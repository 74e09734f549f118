"""Publish stage: typed Arrow tables, checked before anything is written, then swapped into place."""
from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import matrix
from pipeline.schemas import KEYS, METADATA_KEY, SCHEMA_VERSION, SORT, TABLES, with_version

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


class LockError(Exception):
    """Another run is publishing to the same folder."""


class SchemaVersionError(Exception):
    """A published table was written under another schema version."""


def _lock_path(processed: Path) -> Path:
    return processed.parent / f".{processed.name}.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def publish_lock(processed: Path):
    """One publisher per folder. A lock left by a run that is no longer running is explained and taken over."""
    path = _lock_path(processed)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = f"{os.getpid()} {socket.gethostname()}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = path.read_text(encoding="utf-8", errors="replace").split()
            pid, host = (int(holder[0]) if holder and holder[0].isdigit() else -1), (holder[1] if len(holder) > 1 else "")
            if host == socket.gethostname() and not _alive(pid):
                log.warning("stale lock %s left by process %s, which is no longer running; taking it over", path, pid)
                path.unlink(missing_ok=True)
                continue
            raise LockError(f"{path} is held by process {pid} on {host or 'an unknown host'}: another run is "
                            f"publishing to {processed}. Wait for it, or delete the lock if that run is gone.")
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


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
            pq.write_table(table, staging / f"{name}.parquet", compression="zstd", use_dictionary=True,
                           write_statistics=True)
        for name, text in (extra or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        for path in staging.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        pause = float(os.environ.get("PIPELINE_PUBLISH_PAUSE", "0") or 0)  # fault-injection hook for tests
        if pause:
            time.sleep(pause)
        if not _exchange(staging, processed):
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
        raise SchemaVersionError(f"{path} has schema version {found.decode() if found else 'none'}, this pipeline "
                                 f"writes {SCHEMA_VERSION}: rebuild it with `make all`")
    return table


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, moved over it only if the block finishes: readers see the old
    file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide published files from other readers
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def safe_name(name: str) -> str:
    """A capture's name as a file name inside one folder: no separators, no leading dots."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")
    return cleaned or "capture"
