"""Issue 17: a run that finds the stamp of a run with nothing left to do plans nothing, a run that finds
it the same but for a few captures plans only those, and any change since (a same-size same-mtime
edit, a deleted interim file, another option, the manifest) is still seen."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from conftest import RAW, folder_of

from pipeline.cli import main
from pipeline.extract import sources
from pipeline.extract import stage as extract_stage
from pipeline.runtime import chain, incremental
from pipeline.runtime.records import SUFFIX
from pipeline.runtime.stamps import Stamps

NOTHING = "extract → clean → structure: nothing changed since the last run"


def _args(raw: Path, work: Path) -> list[str]:
    return ["--raw", str(raw), "--interim", str(work / "interim"), "--processed", str(work / "processed")]


def _published(work: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((work / "processed").glob("*.parquet"))}


def _logged(capsys) -> list[str]:
    return [line.removeprefix("INFO ") for line in capsys.readouterr().err.splitlines() if line.startswith("INFO ")]


def _no_plan(context: object) -> dict:
    raise AssertionError("planned although the stamp says nothing changed")


def test_the_stamp_skips_planning_and_every_change_is_still_seen(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sources, "RACY_NS", 0)  # the captures were just written: trust their times at once
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    published = _published(work)
    stamp = chain._read(work / "interim" / "extract" / chain.STAMP)
    assert stamp is not None and sorted(stamp.inputs.units) == sorted(p.name for p in raw.iterdir())
    assert all(stamp.inputs.units.values()) and stamp.inputs.shared == "none"  # all trusted; no manifest

    with monkeypatch.context() as planning:
        planning.setattr(extract_stage, "units", _no_plan)
        capsys.readouterr()
        assert main(["all", "-v", "-j", "1", *_args(raw, work)]) == 0
    assert _logged(capsys) == [NOTHING]
    assert _published(work) == published

    structured = sorted((work / "interim" / "structure").glob(f"0*{SUFFIX}"))[0]
    record = structured.read_bytes()
    structured.unlink()  # an interim file gone: the listing differs from the stamp's
    capsys.readouterr()
    assert main(["all", "-v", "-j", "1", *_args(raw, work)]) == 0
    assert _logged(capsys)[:3] == [
        "extract: 0 of 5 unit(s) processed, the others unchanged",
        "clean: 0 of 5 unit(s) processed, the others unchanged",
        "structure: 1 of 5 unit(s) processed, the others unchanged",
    ]
    assert structured.read_bytes() == record

    target = sorted(raw.glob("003_*"))[0]
    before = target.stat()
    text = target.read_text("utf-8")
    edited = text.replace(" the ", " THE ", 1)
    target.write_text(edited, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime: only ctime differs
    keys = {u: e.key for u, e in incremental.load(work / "interim" / "extract").items()}
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    changed = {u for u, e in incremental.load(work / "interim" / "extract").items() if keys[u] != e.key}
    assert changed == {target.name}
    fresh = tmp_path / "fresh"
    assert main(["all", "-q", "-j", "1", *_args(raw, fresh)]) == 0
    assert _published(work) == _published(fresh)

    capsys.readouterr()  # another option, in every capture's key
    assert main(["all", "-v", "-j", "1", "--max-bytes", "99999999", *_args(raw, work)]) == 0
    assert _logged(capsys)[0] == "extract: 5 of 5 unit(s) processed, the others unchanged"


def _planned(monkeypatch) -> list[set[str] | None]:
    """The `only` of each plan of raw/ from here on (None: every capture planned)."""
    calls: list[set[str] | None] = []
    units = extract_stage.units

    def recording(context, only=None):
        calls.append(None if only is None else set(only))
        return units(context, only)

    monkeypatch.setattr(extract_stage, "units", recording)
    return calls


def test_a_new_changed_or_removed_capture_is_the_only_one_planned(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "RACY_NS", 0)
    seeds = sorted(RAW.iterdir())
    raw = folder_of(tmp_path / "raw", {p.name: p for p in seeds[:4]})
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    planned = _planned(monkeypatch)
    monkeypatch.setattr(incremental, "JOURNAL_SHARE", 0)  # never folded (a few captures' index is small)
    index = (work / "interim" / "structure" / incremental.INDEX).read_bytes()
    (raw / "new.txt").write_bytes(seeds[4].read_bytes())
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    gone = raw / seeds[0].name
    gone.unlink()
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    assert planned == [{"new.txt"}, {seeds[0].name}]
    # the index is not rewritten for two captures: each stage's journal holds them, a line each
    assert (work / "interim" / "structure" / incremental.INDEX).read_bytes() == index
    for stage in ("extract", "clean", "structure"):
        lines = (work / "interim" / stage / incremental.JOURNAL).read_bytes().splitlines()
        journaled = [msgspec.json.decode(line, type=incremental._Line) for line in lines]
        assert [(j.unit, j.entry is None) for j in journaled] == [("new.txt", False), (seeds[0].name, True)]
    structured = sorted(p.name for p in (work / "interim" / "structure").glob(f"*{SUFFIX}"))
    assert structured == sorted(f"{p.name}{SUFFIX}" for p in raw.iterdir())  # the gone capture's files too
    fresh = tmp_path / "fresh"
    assert main(["all", "-q", "-j", "1", *_args(raw, fresh)]) == 0
    assert _published(work) == _published(fresh)
    for stage in ("extract", "clean", "structure"):
        assert incremental.load(work / "interim" / stage) == incremental.load(fresh / "interim" / stage)

    (raw / "manifest.csv").write_text("file,url\nnew.txt,https://findings.org.uk/x\n", encoding="utf-8")
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    assert planned[2:] == [None, None]  # the fresh run's, then this one's: what every key reads changed


def test_a_capture_too_recent_to_trust_is_planned_again_until_it_is_not(tmp_path, monkeypatch):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())[:2]})
    old = sorted(raw.iterdir())[0]
    os.utime(old, ns=(0, 0))  # long ago; its change time is now, so it is too recent all the same
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    stamp = chain._read(work / "interim" / "extract" / chain.STAMP)
    assert stamp is not None and set(stamp.inputs.units.values()) == {""}
    planned = _planned(monkeypatch)
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    assert planned == [{p.name for p in raw.iterdir()}]
    monkeypatch.setattr(sources, "RACY_NS", 0)
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    assert planned[1:] == [{p.name for p in raw.iterdir()}]  # trusted from then on: the last run plans nothing


def test_changed_names_the_units_whose_stamps_differ_or_cannot_be_trusted():
    before = Stamps("m1", {"a": "1", "b": "2", "c": "3", "d": ""})
    assert Stamps("m1", {"a": "1", "b": "9", "d": "4", "e": "5"}).changed(before) == {"b", "c", "d", "e"}
    assert Stamps("m1", {"a": "", "b": "2", "c": "3", "d": "4"}).changed(before) == {"a", "d"}
    assert Stamps("m2", {"a": "1"}).changed(before) is None
    assert Stamps("", {"a": "1"}).changed(Stamps("", {"a": "1"})) is None


def test_a_journal_is_folded_into_its_index_once_it_is_big_enough(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "RACY_NS", 0)
    seeds = sorted(RAW.iterdir())
    raw = folder_of(tmp_path / "raw", {p.name: p for p in seeds[:2]})
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    monkeypatch.setattr(incremental, "JOURNAL_SHARE", 1_000)  # any journal is worth folding
    (raw / "new.txt").write_bytes(seeds[2].read_bytes())
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 0
    for stage in ("extract", "clean", "structure"):
        folder = work / "interim" / stage
        assert not (folder / incremental.JOURNAL).exists()
        assert sorted(incremental.load(folder)) == sorted(["new.txt", seeds[0].name, seeds[1].name])


def test_a_quiet_run_with_nothing_to_publish_still_names_each_quarantined_capture(tmp_path, capsys):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())[:2]})
    (raw / "empty.txt").write_bytes(b"")
    (raw / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    work = tmp_path / "work"
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 1
    first = [line for line in capsys.readouterr().err.splitlines() if line.startswith("quarantined: ")]
    assert [line.split(" ")[1] for line in first] == ["binary.txt", "empty.txt"]
    assert main(["all", "-q", "-j", "1", *_args(raw, work)]) == 1  # nothing changed: the same lines
    assert capsys.readouterr().err.splitlines() == first
