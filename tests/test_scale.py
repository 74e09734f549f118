"""Parallel, distributed and incremental runs give exactly the tables of a plain run, and redo only what changed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import replace

import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES, RAW, folder_of

import pipeline.runtime.executors as executors
from pipeline.cli import main
from pipeline.extract.sources import capture_files
from pipeline.runtime import incremental, registry, tasks
from pipeline.runtime.records import read_record
from pipeline.runtime.tasks import output_path

SITE = FIXTURES / "site"


def _all(raw, work, *extra) -> int:
    return main(
        [
            "all",
            "-q",
            "--raw",
            str(raw),
            "--interim",
            str(work / "interim"),
            "--processed",
            str(work / "processed"),
            *extra,
        ]
    )


def _outputs(work) -> dict[str, bytes]:
    """Every published and intermediate file, by path."""
    return {
        p.relative_to(work).as_posix(): p.read_bytes()
        for p in sorted(work.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_two_worker_processes_give_byte_identical_files(tmp_path):
    assert _all(SITE, tmp_path / "one", "--jobs", "1") == _all(SITE, tmp_path / "two", "--jobs", "2")
    one, two = _outputs(tmp_path / "one"), _outputs(tmp_path / "two")
    assert len([p for p in one if p.startswith("interim/structure/")]) == len(capture_files(SITE))
    assert one == two


def test_merge_folds_its_pieces_on_the_workers(tmp_path, monkeypatch):
    """Each cell and document is folded on one of the run's workers, never in this process; one worker:
    all of them here, in one batch. The files are the same either way."""
    from pipeline.merge import stage as stages

    opened: list[str] = []  # structure's records opened in this process, a batch of pieces each
    real = stages.Records.__call__
    monkeypatch.setattr(stages.Records, "__call__", lambda self: opened.append(self.folder.name) or real(self))
    _all(SITE, tmp_path / "two", "--jobs", "2")
    assert opened == []
    _all(SITE, tmp_path / "one", "--jobs", "1")
    assert opened == ["structure"]
    assert _outputs(tmp_path / "one") == _outputs(tmp_path / "two")


def _published(work) -> dict[str, bytes]:
    return {k: v for k, v in _outputs(work).items() if k.startswith(("processed/", "interim/merge/"))}


def test_a_local_dask_cluster_writes_parquet_parts_and_the_same_tables(tmp_path):
    pytest.importorskip("dask.distributed", reason="the dev extra installs dask[distributed]")
    _all(SITE, tmp_path / "local", "--jobs", "1")
    _all(SITE, tmp_path / "dask", "--executor", "dask", "--jobs", "2", "--part-size", "4")
    assert _published(tmp_path / "dask") == _published(tmp_path / "local")
    names = sorted(p.name for p in capture_files(SITE))
    parts = -(-len(names) // 4)  # the site's captures in parts of 4, the last one short
    for stage in ("extract", "clean", "structure"):
        folder = tmp_path / "dask" / "interim" / stage
        assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
            f"part-{n:05d}.parquet" for n in range(parts)
        ]
        table = pq.read_table(folder)  # the folder reads as one dataset
        assert table.column_names == ["capture", "sha256", "record"]
        assert sorted(table.column("capture").to_pylist()) == names
        local = tmp_path / "local" / "interim" / stage
        for name, digest, record in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            assert hashlib.sha256(record.encode()).hexdigest() == digest
            assert read_record(output_path(local, name)).decode() == record  # the same record either layout


def test_the_default_part_size_on_dask_puts_a_small_corpus_in_one_part(tmp_path):
    pytest.importorskip("dask.distributed", reason="the dev extra installs dask[distributed]")
    _all(RAW, tmp_path, "--executor", "dask", "--jobs", "1")
    assert sorted(p.name for p in (tmp_path / "interim" / "structure").glob("*.*")) == [
        ".index.json",
        "part-00000.parquet",
    ]
    assert pq.read_table(tmp_path / "interim" / "structure").num_rows == 5


def test_parts_are_redone_only_where_a_capture_changed(tmp_path, calls):
    seeds = sorted(RAW.iterdir())
    raw = folder_of(tmp_path / "raw", {p.name: p for p in seeds[:-1]})
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    # a part at a time, through the chain
    assert calls == [f"{stage} part-0000{n}.parquet" for n in (0, 1) for stage in ("extract", "clean", "structure")]
    calls.clear()
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    assert calls == []
    shutil.copy(seeds[-1], raw / seeds[-1].name)  # sorts last: a third part, the first two unchanged
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    assert calls == [f"{stage} part-00002.parquet" for stage in ("extract", "clean", "structure")]
    fresh = tmp_path / "fresh"
    _all(raw, fresh, "-j", "1")
    assert _published(tmp_path) == _published(fresh)


def test_merge_reads_a_rewritten_part_anew_in_the_same_process(tmp_path):
    """Merge keeps a folder's parts open within a process while they stand as they are: an edited
    capture rewrites its part, and the next run in the same process folds the new record."""
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    before = _published(tmp_path)
    page = sorted(p for p in raw.iterdir() if p.suffix == ".txt")[0]
    # the first entry's year, one later
    page.write_text(re.sub(r"\((\d{4})\)", lambda m: f"({int(m[1]) + 1})", page.read_text("utf-8"), count=1))
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    assert _published(tmp_path)["processed/entries.parquet"] != before["processed/entries.parquet"]
    fresh = tmp_path / "fresh"
    _all(raw, fresh, "-j", "1")
    assert _published(tmp_path) == _published(fresh)


def _every_file(work) -> dict[str, bytes]:
    """Every file, the indexes and caches too, by path."""
    return {p.relative_to(work).as_posix(): p.read_bytes() for p in sorted(work.rglob("*")) if p.is_file()}


def test_a_chained_part_run_writes_the_parts_and_indexes_of_stages_run_one_at_a_time(tmp_path, calls):
    chained, staged = tmp_path / "chained", tmp_path / "staged"
    _all(SITE, chained, "-j", "1", "--part-size", "4")
    parts = [f"part-{n:05d}.parquet" for n in range(-(-len(capture_files(SITE)) // 4))]
    assert calls == [f"{stage} {part}" for part in parts for stage in ("extract", "clean", "structure")]
    calls.clear()
    for stage in ("extract", "clean", "structure", "merge", "publish"):
        command = [stage, "-q", "--raw", str(SITE), "--interim", str(staged / "interim")]
        options = ["-j", "1", "--part-size", "4"] if registry.get(stage).kind == "per-capture" else []
        main([*command, "--processed", str(staged / "processed"), *options])
    assert calls == [f"{stage} {part}" for stage in ("extract", "clean", "structure") for part in parts]
    assert _every_file(chained) == _every_file(staged)


def _counting_part_reads(monkeypatch) -> list[str]:
    """Every part a task read back whole, as "stage/part"."""
    read: list[str] = []
    real = tasks.parts.read

    def counted(path):
        read.append(f"{path.parent.name}/{path.name}")
        return real(path)

    monkeypatch.setattr(tasks.parts, "read", counted)
    return read


def test_new_extract_code_making_the_same_records_redoes_only_extract_in_a_chained_part(tmp_path, calls, monkeypatch):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    before = _outputs(tmp_path)
    calls.clear()
    read = _counting_part_reads(monkeypatch)
    _new_code_in(monkeypatch, "extract")
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    assert calls == [f"extract part-0000{n}.parquet" for n in range(3)]  # clean's part keys came out the same
    assert read == []
    assert _outputs(tmp_path) == before


def test_new_code_in_a_later_stage_restarts_a_chained_part_at_that_stage(tmp_path, calls, monkeypatch):
    from pipeline.clean import passes

    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    before = _outputs(tmp_path)
    calls.clear()
    read = _counting_part_reads(monkeypatch)
    _new_code_in(monkeypatch, "structure")
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    assert calls == [f"structure part-0000{n}.parquet" for n in range(3)]
    assert read == [f"clean/part-0000{n}.parquet" for n in range(3)]
    assert _outputs(tmp_path) == before
    calls.clear()
    read.clear()
    real = passes.clean
    changed = sorted(p.name for p in raw.iterdir())[2]  # in the second part

    def warning_once(capture):
        cleaned = real(capture)
        return replace(cleaned, warnings=[*cleaned.warnings, "a new warning"]) if capture.file == changed else cleaned

    monkeypatch.setattr(passes, "clean", warning_once)
    _new_code_in(monkeypatch, "clean")
    _all(raw, tmp_path, "-j", "1", "--part-size", "2")
    # structure is redone only on the part whose clean records changed, from the records in memory
    assert calls == ["clean part-00000.parquet", "clean part-00001.parquet", "structure part-00001.parquet"] + [
        "clean part-00002.parquet"
    ]
    assert read == [f"extract/part-0000{n}.parquet" for n in range(3)]
    structured = pq.read_table(tmp_path / "interim" / "structure" / "part-00001.parquet").to_pylist()
    assert [(row["capture"], "a new warning" in row["record"]) for row in structured] == [
        (name, name == changed) for name in sorted(p.name for p in raw.iterdir())[2:4]
    ]


def test_only_the_parts_merge_reads_a_page_at_a_time_have_a_row_group_per_record(tmp_path):
    from pipeline.runtime import parts

    assert [tasks.read_singly(s.name) for s in registry.per_capture()] == [False, False, True]
    rows = [(f"c{n}", f"digest {n}", f'{{"n": {n}, "text": "é"}}') for n in range(3)]
    for singly, groups in ((True, 3), (False, 1)):
        folder = tmp_path / str(singly)
        folder.mkdir()
        parts.write(folder / parts.part_name(0), rows, singly=singly)
        assert pq.ParquetFile(folder / parts.part_name(0)).metadata.num_row_groups == groups
        found = parts.Rows(folder)
        assert [found.record(name) for name in ("c2", "c0", "c1")] == [rows[n][2].encode() for n in (2, 0, 1)]


def test_going_back_to_a_file_per_capture_leaves_no_part(tmp_path):
    work, fresh = tmp_path / "work", tmp_path / "fresh"
    _all(RAW, work, "-j", "1", "--part-size", "2")
    _all(RAW, work, "-j", "1")
    assert not list((work / "interim").rglob("*.parquet"))
    _all(RAW, fresh, "-j", "1")
    assert _outputs(work) == _outputs(fresh)
    assert len([p for p in _outputs(work) if p.startswith("interim/structure/")]) == 5


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """Every unit a stage's work was done on, as "stage unit", in the order done (one worker: the tasks
    run in this process; a chained task does several stages' work)."""
    seen: list[str] = []
    real = executors.run

    def counted(work):
        done = real(work)
        seen.extend(f"{d.stage} {d.unit}" for d in done)
        return done

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
    monkeypatch.setattr(incremental, "code_fingerprint", lambda *modules: "another version")
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


def _counting_record_reads(monkeypatch) -> list[str]:
    """Every structured record merge reads, by capture name, in this process."""
    from pipeline.merge import stage as stages

    loaded: list[str] = []
    real = stages._record_reader

    def counting(folder, parted):
        read = real(folder, parted)
        return lambda name: loaded.append(name) or read(name)

    monkeypatch.setattr(stages, "_record_reader", counting)
    return loaded


def test_merge_refolds_only_the_cell_a_new_capture_belongs_to(tmp_path, monkeypatch):

    seeds = {p.name: p for p in sorted(RAW.iterdir())}
    added = next(name for name in seeds if name.startswith("002"))  # a second capture of one cell
    raw = folder_of(tmp_path / "raw", {n: p for n, p in seeds.items() if n != added})
    _all(raw, tmp_path, "-j", "1")
    loaded = _counting_record_reads(monkeypatch)
    shutil.copy(seeds[added], raw / added)
    _all(raw, tmp_path, "-j", "1")
    described = json.loads((tmp_path / "processed" / "report.json").read_text("utf-8"))["captures"]
    cell = next(c["cell_id"] for c in described if c["file"] == added)
    same_cell = sorted(c["file"] for c in described if c["cell_id"] == cell)
    # merge and the cell's history both fold them; no other capture is read
    assert len(same_cell) == 2 and sorted(set(loaded)) == same_cell
    fresh = tmp_path / "fresh"
    _all(raw, fresh, "-j", "1")
    assert _published(tmp_path) == _published(fresh)


def test_after_a_new_and_a_removed_capture_merge_replays_structures_journal_not_its_index(tmp_path, monkeypatch):
    from pipeline.merge import kept

    monkeypatch.setattr(incremental, "JOURNAL_SHARE", 0)  # never folded (a few captures' index is small)
    seeds = sorted(RAW.iterdir())
    raw = folder_of(tmp_path / "raw", {p.name: p for p in seeds if not p.name.startswith("003")})
    _all(raw, tmp_path, "-j", "1")
    gathered: list[int] = []
    real = kept.gather
    monkeypatch.setattr(kept, "gather", lambda *a: gathered.append(1) or real(*a))
    new = next(p for p in seeds if p.name.startswith("003"))
    shutil.copy(new, raw / new.name)
    next(raw.glob("001_*")).unlink()
    _all(raw, tmp_path, "-j", "1")
    assert gathered == []
    fresh = tmp_path / "fresh"
    _all(raw, fresh, "-j", "1")
    assert gathered == [1]
    assert _outputs(tmp_path / "interim" / "merge") == _outputs(fresh / "interim" / "merge")
    assert _published(tmp_path) == _published(fresh)


def test_unchanged_captures_are_not_read_again_and_a_touched_one_is_hashed_not_redone(tmp_path, calls, monkeypatch):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    an_hour_ago = time.time() - 3600
    for path in raw.iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))
    _all(raw, tmp_path, "-j", "1")
    hashed: list[str] = []
    real = incremental.hashlib.file_digest
    raw_files = str(raw)

    def counting(fh, algo):  # raw captures only: publish hashes its own inputs and outputs too
        if fh.name.startswith(raw_files):
            hashed.append(fh.name)
        return real(fh, algo)

    monkeypatch.setattr(incremental.hashlib, "file_digest", counting)
    calls.clear()
    _all(raw, tmp_path, "-j", "1")
    assert hashed == [] and calls == []
    touched = next(raw.glob("001_*"))
    touched.write_bytes(touched.read_bytes())  # same bytes, a new modification time
    _all(raw, tmp_path, "-j", "1")
    assert hashed == [str(touched)] and calls == []
    hashed.clear()
    _all(raw, tmp_path, "-j", "1")
    assert hashed == [str(touched)]  # written just now: hashed until it is old enough to trust its time


def _new_code_in(monkeypatch, *stages: str) -> None:
    """As if the code of these stages (only) had changed since the last run."""
    real = incremental.stage_fingerprint
    monkeypatch.setattr(incremental, "stage_fingerprint", lambda s: "new" + real(s) if s in stages else real(s))


def test_the_registry_chains_the_per_capture_stages():
    assert [[s.name for s in group] for group in registry.chains(registry.REFRESH)] == [
        ["extract", "clean", "structure"],
        ["merge"],
        ["publish"],
    ]
    assert [[s.name for s in group] for group in registry.chains(("clean", "merge"))] == [["clean"], ["merge"]]


def test_new_clean_code_redoes_clean_and_structure_only_where_its_records_change(tmp_path, calls, monkeypatch):
    from pipeline.clean import passes

    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1")
    before = _outputs(tmp_path)
    calls.clear()
    _new_code_in(monkeypatch, "clean")
    _all(raw, tmp_path, "-j", "1")
    names = sorted(p.name for p in raw.iterdir())
    assert calls == [f"clean {name}" for name in names]  # the same records: structure's inputs are unchanged
    assert _outputs(tmp_path) == before
    calls.clear()
    real = passes.clean
    changed = names[0]

    def warning_once(capture):
        cleaned = real(capture)
        return replace(cleaned, warnings=[*cleaned.warnings, "a new warning"]) if capture.file == changed else cleaned

    monkeypatch.setattr(passes, "clean", warning_once)
    _new_code_in(monkeypatch, "clean")  # newer still
    _all(raw, tmp_path, "-j", "1")
    assert calls == [f"clean {name}" for name in names[:1]] + [f"structure {changed}"] + [
        f"clean {name}" for name in names[1:]
    ]


def test_new_structure_code_reaches_the_published_tables(tmp_path, monkeypatch):
    """Merge folds a cell again (and its history) when its captures' structured records change, not only
    their raw bytes: the references are read in structure, so new code reading them must reach the citations."""
    from pipeline.structure import marks

    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1")
    monkeypatch.setattr(marks, "find_references", lambda text: [])
    _new_code_in(monkeypatch, "structure")
    _all(raw, tmp_path, "-j", "1")
    roles = pq.read_table(tmp_path / "processed" / "citations.parquet", columns=["role"]).column("role")
    assert sorted(set(roles.to_pylist())) == ["primary", "related"]  # no secondary citation is read any more
    fresh = tmp_path / "fresh"
    _all(raw, fresh, "-j", "1")
    assert _published(tmp_path) == _published(fresh)


def test_extract_code_that_gives_the_same_records_redoes_nothing_after_it(tmp_path, calls, monkeypatch):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    _all(raw, tmp_path, "-j", "1")
    calls.clear()
    _new_code_in(monkeypatch, "extract")
    _all(raw, tmp_path, "-j", "1")
    assert calls == [f"extract {p.name}" for p in sorted(raw.iterdir())]
    calls.clear()
    _new_code_in(monkeypatch, "extract", "structure")  # clean is skipped; structure reads clean's file
    _all(raw, tmp_path, "-j", "1")
    assert calls == [f"{stage} {p.name}" for p in sorted(raw.iterdir()) for stage in ("extract", "structure")]


def test_the_chain_writes_what_the_stages_run_one_by_one_write(tmp_path):
    chained, staged = tmp_path / "chained", tmp_path / "staged"
    _all(RAW, chained, "-j", "1")
    for stage in registry.REFRESH:
        args = ["--raw", str(RAW), "--interim", str(staged / "interim"), "--processed", str(staged / "processed")]
        assert main([stage, "-q", *args]) == 0
    assert _outputs(chained) == _outputs(staged)
    assert len([p for p in _outputs(chained) if p.startswith("interim/clean/")]) == 5


def test_with_nothing_new_merge_reads_no_page_even_when_an_output_of_its_own_is_made_again(tmp_path, monkeypatch):
    """Nothing new: merge is skipped whole. One of its outputs damaged: it runs again, and makes it
    from structure's index and its own earlier outputs, opening no structured record."""
    from pipeline.merge import stage as stages

    _all(RAW, tmp_path, "-j", "1")
    before = _outputs(tmp_path)
    loaded = _counting_record_reads(monkeypatch)
    merged = tmp_path / "interim" / "merge" / stages.MERGED
    _all(RAW, tmp_path, "-j", "1")
    made = merged.stat().st_mtime_ns
    assert loaded == []
    captures = tmp_path / "interim" / "merge" / "captures.json"
    captures.write_bytes(captures.read_bytes()[:-2])
    _all(RAW, tmp_path, "-j", "1")
    assert loaded == [] and merged.stat().st_mtime_ns != made  # merged again, from no page
    assert _outputs(tmp_path) == before


def test_a_run_with_nothing_new_loads_no_table_writer_or_folding_code(tmp_path):
    _all(RAW, tmp_path, "-j", "2")
    dirs = ["--raw", str(RAW), "--interim", str(tmp_path / "interim"), "--processed", str(tmp_path / "processed")]
    probe = (
        "import sys\nfrom pipeline.cli import main\n"
        f"main(['all', '-q', '-j', '2', *{dirs!r}])\n"
        "print(sorted(m for m in ('pyarrow', 'rapidfuzz', 'pandas') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout == "[]\n", result.stderr


def test_work_goes_to_the_pool_in_batches_that_shrink_towards_the_end():
    """Guided batches: full ones while much is left (one message per batch), single works at the tail."""
    pending = list(reversed(range(1000)))  # kept reversed: its end is next
    sizes = []
    while pending:
        batch = executors._batch(pending, executors._batch_size(len(pending), 2))
        assert batch == tuple(range(sum(sizes), sum(sizes) + len(batch)))  # in order, none lost or repeated
        sizes.append(len(batch))
    assert sizes[:7] == [62, 58, 55, 51, 48, 45, 42]
    assert sizes[-16:] == [1] * 16 and sum(sizes) == 1000
    assert executors._batch_size(100_000, 2) == executors.BATCH == 64
