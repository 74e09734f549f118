"""Parallel, distributed and incremental runs give exactly the tables of a plain run, and redo only what changed."""
from __future__ import annotations

import shutil

import pytest

import pipeline.executors as executors
from pipeline import incremental
from pipeline.cli import main
from pipeline.stages import capture_files

from conftest import FIXTURES, RAW, folder_of

SITE = FIXTURES / "site"


def _all(raw, work, *extra) -> int:
    return main(["all", "-q", "--raw", str(raw), "--interim", str(work / "interim"),
                 "--processed", str(work / "processed"), *extra])


def _outputs(work) -> dict[str, bytes]:
    """Every published and intermediate file, by path."""
    return {p.relative_to(work).as_posix(): p.read_bytes() for p in sorted(work.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def test_two_worker_processes_give_byte_identical_files(tmp_path):
    assert _all(SITE, tmp_path / "one", "--jobs", "1") == _all(SITE, tmp_path / "two", "--jobs", "2")
    one, two = _outputs(tmp_path / "one"), _outputs(tmp_path / "two")
    assert len([p for p in one if p.startswith("interim/structure/")]) == len(capture_files(SITE)) == 17
    assert one == two


def test_a_local_dask_cluster_gives_byte_identical_tables(tmp_path):
    pytest.importorskip("dask.distributed", reason="the dev extra installs dask[distributed]")
    _all(SITE, tmp_path / "local", "--jobs", "1")
    _all(SITE, tmp_path / "dask", "--executor", "dask", "--jobs", "2")
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "local")


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """Every task the executor runs, as "stage unit" (one worker: the tasks run in this process)."""
    seen: list[str] = []
    real = executors.run

    def counted(task):
        seen.append(f"{task.stage} {task.unit}")
        return real(task)

    monkeypatch.setattr(executors, "run", counted)
    return seen


def test_a_rerun_with_nothing_changed_runs_no_task(tmp_path, calls):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1")
    assert len(calls) == 3 * 5
    before = _outputs(tmp_path)
    calls.clear()
    _all(raw, tmp_path, "-j", "1")
    assert calls == []
    assert _outputs(tmp_path) == before


def test_one_new_capture_is_the_only_one_processed(tmp_path, calls):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir()) if not p.name.startswith("003")})
    _all(raw, tmp_path, "-j", "1")
    calls.clear()
    new = next(RAW.glob("003_*"))
    shutil.copy(new, raw / new.name)
    _all(raw, tmp_path, "-j", "1")
    assert calls == [f"extract {new.name}", f"clean {new.name}", f"structure {new.name}"]
    fresh = tmp_path / "fresh"
    _all(RAW, fresh, "-j", "1")
    assert _outputs(tmp_path / "processed") == _outputs(fresh / "processed")


def test_a_removed_capture_leaves_no_trace(tmp_path, calls):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1")
    gone = next(raw.glob("003_*"))
    gone.unlink()
    calls.clear()
    _all(raw, tmp_path, "-j", "1")
    assert calls == []
    assert not any(gone.name in p for p in _outputs(tmp_path / "interim"))
    fresh = tmp_path / "fresh"
    _all(raw, fresh, "-j", "1")
    assert _outputs(tmp_path / "processed") == _outputs(fresh / "processed")


def test_new_pipeline_code_redoes_every_capture(tmp_path, calls, monkeypatch):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1")
    calls.clear()
    monkeypatch.setattr(incremental, "code_fingerprint", lambda: "another version")
    _all(raw, tmp_path, "-j", "1")
    assert len(calls) == 15


def test_an_edited_capture_is_redone_and_its_changes_published(tmp_path, calls):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1")
    calls.clear()
    page = next(raw.glob("000_*"))
    page.write_text(page.read_text("utf-8") + "\nA new closing paragraph.\n", encoding="utf-8")
    _all(raw, tmp_path, "-j", "1")
    assert calls == [f"extract {page.name}", f"clean {page.name}", f"structure {page.name}"]
