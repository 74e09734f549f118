"""Issue 17: a run that finds the stamp of a run with nothing left to do plans nothing, and any change
since (a same-size same-mtime edit, a deleted interim file, another option) is still seen."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import RAW, folder_of

from pipeline.cli import main
from pipeline.extract import sources
from pipeline.extract import stage as extract_stage
from pipeline.runtime import chain, incremental
from pipeline.runtime.records import SUFFIX

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
    stamp = work / "interim" / "extract" / chain.STAMP
    assert len(stamp.read_text("utf-8")) == 64

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
