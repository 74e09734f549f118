"""Issue 5: nothing lost, nothing half-written, every failure explained."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import RAW, ROOT, TABLES, folder_of, run_on
from test_structure_units import CELL

from pipeline.cli import main
from pipeline.publish.schemas import TABLES as SCHEMAS
from pipeline.publish.write import SchemaVersionError, read_published
from pipeline.runtime.lock import publish_lock


def _captured(path):
    cells = pq.read_table(path).to_pylist()
    return [c["cell_id"] for c in cells if c["captured"]]


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def test_run_killed_while_publishing_leaves_previous_tables(tmp_path):
    first = run_on(RAW, tmp_path / "first")
    before = _snapshot(first.processed)
    assert len(before) == len(SCHEMAS)
    smaller = folder_of(tmp_path / "raw2", {"one.txt": CELL})
    env = {**os.environ, "PIPELINE_PAUSE_PUBLISH": "60"}
    args = [
        sys.executable,
        "-m",
        "pipeline",
        "all",
        "-q",
        "--raw",
        str(smaller),
        "--interim",
        str(tmp_path / "i2"),
        "--processed",
        str(first.processed),
    ]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    staged = []
    while time.monotonic() < deadline and not staged:
        staged = [d for d in first.processed.glob(".staging-*") if (d / "report.json").exists()]
        time.sleep(0.05)
    assert staged, "the run never reached the swap"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert _snapshot(first.processed) == before
    for name in TABLES:
        read_published(first.processed / f"{name}.parquet")
    rerun = subprocess.run([a for a in args if a != "-q"], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr  # the killed run's lock died with it
    assert _captured(first.processed / "cells.parquet") == ["drug-B5"]
    assert not list(first.processed.glob(".staging-*"))


def test_a_live_lock_stops_a_second_publisher(tmp_path, capsys):
    raw = folder_of(tmp_path / "raw", {"one.txt": CELL})
    processed = tmp_path / "processed"
    with publish_lock(processed):  # held through another open file, as another process would
        status = main(["all", "-q", "--raw", str(raw), "--interim", str(tmp_path / "i"), "--processed", str(processed)])
    assert status == 2
    assert "another run is publishing" in capsys.readouterr().err
    assert not (processed / "cells.parquet").exists()


def test_a_lock_file_left_inside_a_container_does_not_block(tmp_path):
    """A run killed in a PID namespace left its lock file naming process 1, which is alive everywhere."""
    raw = folder_of(tmp_path / "raw", {"one.txt": CELL})
    processed = tmp_path / "processed"
    (tmp_path / ".processed.lock").write_text(f"1 {os.uname().nodename}")
    status = main(["all", "-q", "--raw", str(raw), "--interim", str(tmp_path / "i"), "--processed", str(processed)])
    assert status == 0
    assert _captured(processed / "cells.parquet") == ["drug-B5"]


def test_a_table_of_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "cells.parquet"
    pq.write_table(
        pa.table({"cell_id": ["x"]}).replace_schema_metadata({b"findings_pipeline.schema_version": b"0"}), path
    )
    with pytest.raises(SchemaVersionError, match="schema version 0"):
        read_published(path)


def test_quarantine_is_explained_on_stderr(tmp_path, capsys):
    raw = folder_of(tmp_path / "raw", {"good.txt": CELL, "empty.txt": ""})
    assert run_on(raw, tmp_path).status == 1
    err = capsys.readouterr().err
    assert "quarantined: empty.txt [structure] no content" in err


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path.txt", "..", "a/b\\c.html", "café page.txt", ""])
def test_names_from_captures_cannot_leave_their_folder(name):
    from pipeline.runtime.atomic import safe_name

    safe = safe_name(name)
    assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".")
