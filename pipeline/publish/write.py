"""Writing the published set: typed Arrow tables and their companions (report.json, datapackage.json,
report.html), staged whole inside the published folder, then moved over the old files one by one.

The user's folder itself is never replaced: its other files, mode, group, a symlink to it or a mount
point are left as they are. Each file is replaced by one atomic rename; the staged set is marked
complete before the first rename, so a run killed between two renames is finished by the next run
(rolled forward) before it does anything else, and a staged set never marked complete is discarded.
"""

from __future__ import annotations

import importlib.abc
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.publish.schemas import METADATA_KEY, SCHEMA_VERSION, SORT, TABLES, with_version
from pipeline.runtime import faults, incremental

log = logging.getLogger("pipeline")
STAGING = ".staging-"  # prefix of the staged set's folder inside the published folder
COMPLETE = ".complete"  # written into a staged set once every file in it is whole and synced
ROWS_PER_GROUP = 10_000  # rows per Parquet row group: fixed, so the same rows always give the same file


class ValidationError(Exception):
    """The tables break the published contract; nothing was written."""


class SchemaVersionError(Exception):
    """A published table was written under another schema version."""


Made = Callable[[str, str], Path | None]  # (table, key of its rows) → a file written from those rows, or None


def write_table(name: str, rows: list[dict], path: Path, made: Made | None = None) -> str:
    """One table in its sort order, converted to Arrow and written `ROWS_PER_GROUP` rows at a time (a
    row group each), so that only one batch is ever held as Arrow beside the rows themselves. Returns
    the key of the rows (the publish code, pyarrow's version, the rows in order): where `made` knows a
    file written from the same key (the one in place: a new capture leaves most tables as they were),
    that file is copied instead."""
    rows = sorted(rows, key=lambda r: tuple(r[k] for k in SORT[name]))
    key = incremental.key("publish", name, pa.__version__, rows)
    if made is not None and (same := made(name, key)) is not None:
        shutil.copyfile(same, path)
        return key
    with batched(name, path) as write:
        for i in range(0, len(rows), ROWS_PER_GROUP):
            write(rows[i : i + ROWS_PER_GROUP])
    return key


@contextmanager
def batched(name: str, path: Path) -> Iterator[Callable[[list[dict]], None]]:
    """A table written a row group at a time: each call writes its rows (at most `ROWS_PER_GROUP`, the
    next in the table's order) as one row group, so a table made a batch at a time (the captures) is
    the file `write_table` makes of all its rows. A table given no rows is written empty."""
    _pandas_not_probed()
    schema = with_version(TABLES[name])
    written = False
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=True, write_statistics=True) as writer:

        def write(rows: list[dict]) -> None:
            nonlocal written
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            written = True

        yield write
        if not written:
            write([])


class _RefusePandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("refused while pyarrow asks whether pandas is installed", name=name)


@cache
def _pandas_not_probed() -> None:
    """pyarrow's first conversion of Python values asks, once a process, whether pandas is installed
    by importing it (to tell pandas' objects from plain lists): 0.2–0.5 s of CPU in every publish,
    which hands it only lists and never uses pandas. Asked while that import is refused, the answer is
    no; an explicit use of pandas later (`import pandas`, `to_pandas`) imports it as usual. Where
    pandas is already imported, the answer is yes, as before."""
    if "pandas" in sys.modules:
        return
    refuse = _RefusePandas()
    sys.meta_path.insert(0, refuse)
    try:
        pa.array([], pa.null())
    finally:
        sys.meta_path.remove(refuse)


def finish_interrupted(processed: Path) -> list[str]:
    """Roll forward a staged set a killed run had completed; discard any it had not. Returns what it did."""
    done: list[str] = []
    if not processed.is_dir():
        return done
    for staged in sorted(processed.glob(f"{STAGING}*")):
        if (staged / COMPLETE).exists():
            _move_in(staged, processed)
            done.append(f"finished publishing the set a killed run had staged in {staged.name}")
        shutil.rmtree(staged, ignore_errors=True)
    return done


def write_set(processed: Path, stage: Callable[[Path], None]) -> list[Path]:
    """Stage the set (`stage(folder)` writes every table and companion file into the staging folder)
    and move the whole set into `processed`. Returns the tables' paths."""
    processed.mkdir(parents=True, exist_ok=True)
    for line in finish_interrupted(processed):
        log.warning(line)
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=processed))
    try:
        stage(staging)
        mode = 0o666 & ~_umask()
        for path in staging.iterdir():
            os.chmod(path, mode)
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        (staging / COMPLETE).touch()
        _fsync_dir(staging)
        faults.pause("publish")
        _move_in(staging, processed)
        return sorted(processed / f"{name}.parquet" for name in TABLES)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_in(staging: Path, processed: Path) -> None:
    """Each staged file renamed over its published namesake: tables first, the report last."""
    files = sorted((p for p in staging.iterdir() if p.name != COMPLETE), key=lambda p: (p.suffix != ".parquet", p.name))
    for path in files:
        os.replace(path, processed / path.name)
    _fsync_dir(processed)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def read_published(path: Path, columns: list[str] | None = None) -> pa.Table:
    """Read a published table (only `columns`, when given), refusing one written under another schema
    version. Read as the one file it is: `pq.read_table` goes through pyarrow.dataset, whose import
    imports pandas (~0.3 s) for a table that is never a dataframe here."""
    _pandas_not_probed()
    with pq.ParquetFile(path) as file:
        table = file.read(columns=columns)
    found = (table.schema.metadata or {}).get(METADATA_KEY)
    if found != SCHEMA_VERSION.encode():
        raise SchemaVersionError(
            f"{path} has schema version {found.decode() if found else 'none'}, this pipeline "
            f"writes {SCHEMA_VERSION}: rebuild it with `make all`"
        )
    return table
