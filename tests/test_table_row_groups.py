"""Issue 17: a published table is converted and written a fixed number of rows at a time, one row group
each, so publish never holds a whole large table as Arrow; the file is the same whatever the order of
its rows, and a table that fits one batch is the file a single write makes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import ROOT

from pipeline.publish import write
from pipeline.publish.schemas import TABLES, with_version

AXES = [
    {"matrix": m, "axis": "column", "code": c, "label": f"{m} {c}", "description": None}
    for m in ("drug", "alcohol")
    for c in "ABC"
]


def test_a_table_is_written_in_row_groups_of_the_batch_size(tmp_path, monkeypatch):
    monkeypatch.setattr(write, "ROWS_PER_GROUP", 4)
    write.write_table("matrix_axes", AXES, tmp_path / "a.parquet")
    write.write_table("matrix_axes", list(reversed(AXES)), tmp_path / "b.parquet")
    found = pq.ParquetFile(tmp_path / "a.parquet")
    assert [found.metadata.row_group(i).num_rows for i in range(found.num_row_groups)] == [4, 2]
    assert [(r["matrix"], r["code"]) for r in found.read().to_pylist()] == [
        ("alcohol", "A"),
        ("alcohol", "B"),
        ("alcohol", "C"),
        ("drug", "A"),
        ("drug", "B"),
        ("drug", "C"),
    ]
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_a_table_within_one_batch_is_the_file_one_write_makes(tmp_path):
    write.write_table("matrix_axes", AXES, tmp_path / "batched.parquet")
    rows = sorted(AXES, key=lambda r: (r["matrix"], r["axis"], r["code"]))
    table = pa.Table.from_pylist(rows, schema=with_version(TABLES["matrix_axes"]))
    pq.write_table(table, tmp_path / "whole.parquet", compression="zstd", use_dictionary=True, write_statistics=True)
    assert (tmp_path / "batched.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()


PANDAS_LATER = """
import json, sys
from pathlib import Path
from pipeline.publish import write
path = Path(sys.argv[1])
write.write_table("matrix_axes", json.loads(sys.argv[2]), path)
read = write.read_published(path).to_pylist()
unloaded = "pandas" not in sys.modules
import pandas as pd
import pyarrow as pa
frame = pd.read_parquet(path)
again = pa.Table.from_pandas(frame, preserve_index=False).to_pylist()
print(json.dumps([unloaded, read == again, frame[["matrix", "code", "label"]].to_dict("records")]))
"""


def test_publish_writes_and_reads_tables_without_pandas_and_pandas_still_works_after(tmp_path):
    """pyarrow is kept from importing pandas to ask whether it is installed (write._pandas_not_probed);
    a process that then uses pandas gets it whole. Run in a fresh process: the tests' own has pandas."""
    done = subprocess.run(
        [sys.executable, "-c", PANDAS_LATER, str(tmp_path / "a.parquet"), json.dumps(AXES)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    unloaded, same, records = json.loads(done.stdout)
    assert (unloaded, same) == (True, True)
    assert records == [{"matrix": m, "code": c, "label": f"{m} {c}"} for m in ("alcohol", "drug") for c in "ABC"]


def test_a_table_made_from_the_same_rows_is_copied_and_one_from_other_rows_is_written(tmp_path):
    key = write.write_table("matrix_axes", AXES, tmp_path / "first.parquet")
    kept = tmp_path / "kept.parquet"
    kept.write_bytes(b"the file the last run wrote from these rows")
    asked: list[tuple[str, bool]] = []

    def made(name: str, rows: str) -> Path | None:
        asked.append((name, rows == key))
        return kept if rows == key else None

    assert write.write_table("matrix_axes", list(reversed(AXES)), tmp_path / "again.parquet", made) == key
    assert (tmp_path / "again.parquet").read_bytes() == kept.read_bytes()
    relabelled = [{**AXES[0], "label": "another label"}, *AXES[1:]]
    other = write.write_table("matrix_axes", relabelled, tmp_path / "other.parquet", made)
    assert other != key and asked == [("matrix_axes", True), ("matrix_axes", False)]
    assert pq.read_table(tmp_path / "other.parquet").column("label").to_pylist() == [
        "alcohol A",
        "alcohol B",
        "alcohol C",
        "another label",
        "drug B",
        "drug C",
    ]


COMMAND_LINE = """
import runpy, sys
sys.argv = ["pipeline", *sys.argv[1:]]
try:
    runpy.run_module("pipeline", run_name="__main__")
except SystemExit as done:
    print(done.code, sys.modules.get("numpy", "never imported") is None, "pyarrow" in sys.modules)
"""


def test_the_command_line_publishes_without_numpy_the_same_set(tmp_path, seeds):
    """`python -m pipeline` runs in a process of its own, which loads pyarrow without numpy (cli:
    _without_numpy); the set it publishes is the one `main` makes in this process, which has numpy."""
    dirs = ["--raw", str(seeds.raw), "--interim", str(tmp_path / "i"), "--processed", str(tmp_path / "p")]
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_LINE, "all", "-q", *dirs],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.stdout.split() == ["0", "True", "True"], done.stderr
    mine = {p.name: p.read_bytes() for p in sorted((tmp_path / "p").iterdir()) if p.is_file()}
    assert mine == {p.name: p.read_bytes() for p in sorted(seeds.processed.iterdir()) if p.is_file()}
    assert "numpy" in sys.modules and sys.modules["numpy"] is not None  # this process's is untouched
