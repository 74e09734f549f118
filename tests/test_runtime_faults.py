"""Issue 13, the runtime's part: an empty capture folder, a processed/ folder that is the user's, damaged
interim files and dying workers never lose published data, and each ends in a specific message."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES, RAW, ROOT, folder_of

from pipeline.cli import main
from pipeline.runtime.records import SUFFIX, pack, read_record
from pipeline.runtime.tasks import output_path

SITE = FIXTURES / "site"
QUARANTINED = 1  # the exit status of a run on the site fixture, which holds a capture that is quarantined


def _args(raw: Path, work: Path) -> list[str]:
    return ["--raw", str(raw), "--interim", str(work / "interim"), "--processed", str(work / "processed")]


def _cells(processed: Path) -> list[str]:
    """The cells the captures covered (the table lists all 50)."""
    table = pq.read_table(processed / "cells.parquet").to_pylist()
    return [row["cell_id"] for row in table if row["captured"]]


def test_an_empty_capture_folder_never_replaces_published_tables(tmp_path, capsys):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    work = tmp_path / "work"
    assert main(["all", "-q", *_args(raw, work)]) == 0
    before = {p.name: p.read_bytes() for p in (work / "processed").iterdir()}
    empty = tmp_path / "unmounted"
    empty.mkdir()
    capsys.readouterr()
    assert main(["all", "-q", *_args(empty, work)]) == 2
    err = capsys.readouterr().err
    assert "the new set has no cells or documents" in err and "--allow-empty" in err
    assert {p.name: p.read_bytes() for p in (work / "processed").iterdir()} == before
    assert main(["all", "-q", "--allow-empty", *_args(empty, work)]) == 0
    assert _cells(work / "processed") == []


def test_a_negative_part_size_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["all", "--part-size", "-1", *_args(RAW, tmp_path)])
    assert exit.value.code == 2
    assert "--part-size: -1 is below 0" in capsys.readouterr().err


def test_publish_leaves_the_users_folder_its_files_mode_and_symlink(tmp_path):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    real = tmp_path / "elsewhere" / "tables"
    real.mkdir(parents=True)
    os.chmod(real, 0o2770)
    (real / "my-notes.txt").write_text("keep me", encoding="utf-8")
    link = tmp_path / "processed"
    link.symlink_to(real)
    args = ["--raw", str(raw), "--interim", str(tmp_path / "interim"), "--processed", str(link)]
    assert main(["all", "-q", *args]) == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "my-notes.txt").read_text("utf-8") == "keep me"
    assert stat.S_IMODE(real.stat().st_mode) == 0o2770
    assert sorted(_cells(real)) == ["alcohol-E4", "drug-E3", "drug-E4"]
    assert not [p for p in real.iterdir() if p.name.startswith(".staging-")]


def test_a_set_staged_by_a_killed_run_is_finished_by_the_next(tmp_path):
    """Killed between two renames: the next run rolls the completed staged set forward first."""
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    work = tmp_path / "work"
    env = {**os.environ, "PIPELINE_PAUSE_PUBLISH": "60"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "all", "-q", "-j", "1", *_args(raw, work)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    staged: list[Path] = []
    while time.monotonic() < deadline and not staged:
        staged = [d for d in (work / "processed").glob(".staging-*") if (d / ".complete").exists()]
        time.sleep(0.05)
    assert staged, "the run never staged its set"
    os.replace(staged[0] / "cells.parquet", work / "processed" / "cells.parquet")  # one rename done, then killed
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    rerun = subprocess.run(
        [sys.executable, "-m", "pipeline", "publish", *_args(raw, work)], cwd=ROOT, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"finished publishing the set a killed run had staged in {staged[0].name}" in rerun.stderr
    assert sorted(_cells(work / "processed")) == ["alcohol-E4", "drug-E3", "drug-E4"]
    assert not list((work / "processed").glob(".staging-*"))


@pytest.mark.parametrize(
    ("stage", "damage"),
    [
        ("extract", None),  # None: cut short
        ("clean", None),
        ("structure", None),
        ("extract", ('"kind":"paragraph"', '"kind":"table"')),  # a block of a kind no reader makes
        ("clean", ('"kind":"link"', '"kind":"underline"')),  # a span of a kind no reader makes
        ("structure", ('"format":"markdown"', '"format":"pdf"')),  # a format no reader reads
    ],
    ids=["extract-cut", "clean-cut", "structure-cut", "block-kind", "span-kind", "format"],
)
def test_a_damaged_interim_file_is_made_again_from_its_source(tmp_path, capsys, stage, damage):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    published = {p.name: p.read_bytes() for p in (work / "processed").glob("*.parquet")}
    files = sorted((work / "interim" / stage).glob(f"[!.]*{SUFFIX}"))
    if damage is None:
        damaged = files[1]
        damaged.write_bytes(damaged.read_bytes()[:100])
    else:
        damaged = next(p for p in files if damage[0] in read_record(p).decode())
        damaged.write_bytes(pack(read_record(damaged).decode().replace(*damage, 1).encode()))
    reader = {"extract": "clean", "clean": "structure", "structure": "merge"}[stage]
    (work / "interim" / reader / ".index.json").unlink()  # so the next stage reads every input again
    capsys.readouterr()
    assert main(["all", "-j", "1", *_args(raw, work)]) == 0
    err = capsys.readouterr().err
    assert f"{work / 'interim' / stage}: " in err and "did not decode (a truncated or damaged file?)" in err
    assert {p.name: p.read_bytes() for p in (work / "processed").glob("*.parquet")} == published


def test_a_truncated_merge_output_is_made_again(tmp_path, capsys):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    work = tmp_path / "work"
    assert main(["all", "-q", *_args(raw, work)]) == 0
    published = {p.name: p.read_bytes() for p in (work / "processed").glob("*.parquet")}
    (work / "processed" / "cells.parquet").unlink()  # so publish must write again
    cells = work / "interim" / "merge" / "cells.json"
    cells.write_bytes(cells.read_bytes()[:50])
    assert main(["all", *_args(raw, work)]) == 0
    assert "interim/merge: its last output did not decode (a truncated or damaged file?)" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (work / "processed").glob("*.parquet")} == published


def test_a_dead_worker_costs_only_its_capture(tmp_path):
    """A capture whose worker dies (here: the worker kills itself on it) is quarantined; the rest publish."""
    captures = {p.name: p for p in sorted(SITE.iterdir()) if p.is_file()}
    victim = "cell_drug_D2_no_title_column_only.txt"
    assert victim in captures
    raw = folder_of(tmp_path / "raw", captures)
    work = tmp_path / "work"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, signal\n"
        "import pipeline.clean.passes as s\n"
        "real = s.clean\n"
        "def dying(capture):\n"
        f"    if capture.file == {victim!r}:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(capture)\n"
        "s.clean = dying\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "all", "-j", "2", *_args(raw, work)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert (
        f"quarantined: {victim} [clean] the worker process died while reading it (out of memory, or killed?)"
        in result.stderr
    )
    cells = _cells(work / "processed")
    assert "drug-D2" not in cells and "alcohol-E1" in cells


def test_workers_die_with_the_run(tmp_path):
    """Killing only the main process closes its output at once: no worker keeps the caller waiting."""
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(SITE.iterdir()) if p.is_file()})
    env = {**os.environ, "PIPELINE_PAUSE_EXTRACT": "5"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "extract", "-j", "2", *_args(raw, tmp_path / "work")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((tmp_path / "work" / "interim" / "extract").glob(f"*{SUFFIX}")):
        time.sleep(0.05)
    assert list((tmp_path / "work" / "interim" / "extract").glob(f"*{SUFFIX}")), "the workers never started"
    proc.kill()  # the main process only
    started = time.monotonic()
    proc.communicate(timeout=30)  # returns once every holder of the pipes is gone
    assert time.monotonic() - started < 4, "a worker outlived the run and held its output open"


def test_a_damaged_structured_record_a_worker_folds_is_made_again(tmp_path, capsys):
    """Merge folds its pieces on the run's workers: a record that no longer decodes there comes back
    as the same error it gives in this process, and is made again from its source."""
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "2", *_args(SITE, work)]) == QUARANTINED
    published = {p.name: p.read_bytes() for p in (work / "processed").glob("*.parquet")}
    first = json.loads((work / "interim" / "merge" / "cells.json").read_bytes())[0]["sources"][0]
    damaged = output_path(work / "interim" / "structure", first)
    damaged.write_bytes(damaged.read_bytes()[:100])
    (work / "interim" / "merge" / ".index.json").unlink()  # so merge folds every cell again
    capsys.readouterr()
    assert main(["all", "-j", "2", *_args(SITE, work)]) == QUARANTINED
    err = capsys.readouterr().err
    assert f"{work / 'interim' / 'structure'}: {first} did not decode (a truncated or damaged file?)" in err
    assert {p.name: p.read_bytes() for p in (work / "processed").glob("*.parquet")} == published


def test_a_worker_dying_while_merge_folds_ends_the_run_and_keeps_what_was_published(tmp_path):
    """Merge's folding is one piece of the corpus: a worker dying in it (here: every worker kills
    itself there) ends the run with a clear error, and the tables published before stay as they were."""
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(SITE.iterdir()) if p.is_file()})
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == QUARANTINED
    published = {p.name: p.read_bytes() for p in (work / "processed").glob("*")}
    (work / "interim" / "merge" / ".index.json").unlink()  # so merge folds every cell again
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, signal\n"
        "import pipeline.merge.pieces as p\n"
        "real = p.fold_pieces\n"
        "def dying(pages, pieces):\n"
        "    if os.environ.get('PIPELINE_RUN_PID') != str(os.getpid()):  # a worker, not the run\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(pages, pieces)\n"
        "p.fold_pieces = dying\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
    run = [sys.executable, "-m", "pipeline", "all", "-j", "2", *_args(raw, work)]
    result = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "a worker died running a whole-set stage's pieces (out of memory, or killed?): run again" in result.stderr
    assert {p.name: p.read_bytes() for p in (work / "processed").glob("*")} == published
    assert main(["all", "-q", "-j", "2", *_args(raw, work)]) == QUARANTINED  # the next run, with healthy workers
    assert {p.name: p.read_bytes() for p in (work / "processed").glob("*")} == published
