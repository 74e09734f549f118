"""Issue 12: whatever mix of `make all`, `python -m pipeline all`, deletions, renames, edits and kills a
user goes through, the published set equals a fresh run's, byte for byte."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, RAW, ROOT, folder_of

from pipeline.cli import main
from pipeline.extract.sources import capture_files
from pipeline.runtime import incremental, registry
from pipeline.site.rules import last_year

SITE = FIXTURES / "site"
PUBLISHED = ("report.json", "datapackage.json", "report.html")


def _cli(raw: Path, work: Path, *extra: str) -> subprocess.CompletedProcess:
    args = ["--raw", str(raw), "--interim", str(work / "interim"), "--processed", str(work / "processed")]
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "all", "-j", "1", *args, *extra], cwd=ROOT, capture_output=True, text=True
    )


def _make(raw: Path, work: Path) -> subprocess.CompletedProcess:
    dirs = [f"RAW={raw}", f"INTERIM={work / 'interim'}", f"PROCESSED={work / 'processed'}", "JOBS=1"]
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "-o", ".venv/.installed", "all", *dirs],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def _published(work: Path) -> dict[str, bytes]:
    folder = work / "processed"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".parquet" or p.name in PUBLISHED}


def _fresh(raw: Path, tmp: Path) -> dict[str, bytes]:
    tmp.mkdir(parents=True, exist_ok=True)
    work = tmp / f"fresh-{len(list(tmp.iterdir()))}"
    assert _cli(raw, work).returncode in (0, 1)
    return _published(work)


def _cells(work: Path) -> list[str]:
    return json.loads((work / "processed" / "report.json").read_text("utf-8"))["captures"]


@pytest.mark.parametrize("how", ["make", "cli", "mixed"])
def test_delete_rename_restore_and_same_mtime_edit_each_equal_a_fresh_run(tmp_path, how):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    work = tmp_path / "work"
    runs = {"make": [_make], "cli": [_cli], "mixed": [_make, _cli]}[how]
    step = 0

    def refresh() -> None:
        nonlocal step
        result = runs[step % len(runs)](raw, work)
        step += 1
        assert result.returncode == 0, result.stderr
        assert _published(work) == _fresh(raw, tmp_path / "fresh"), f"after step {step} ({how})"

    refresh()
    drug_e3 = next(raw.glob("003_*"))
    moved = tmp_path / drug_e3.name
    shutil.move(drug_e3, moved)  # delete
    refresh()
    assert "drug-E3" not in {c["cell_id"] for c in _cells(work)}
    shutil.move(moved, raw / "renamed.txt")  # restore under another name
    refresh()
    assert {c["file"] for c in _cells(work) if c["cell_id"] == "drug-E3"} == {"renamed.txt"}
    target = raw / "renamed.txt"
    before = target.stat()
    text = target.read_text("utf-8")
    edited = text.replace(" the ", " THE ", 1)
    assert len(edited) == len(text) and edited != text
    target.write_text(edited, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    refresh()
    e3 = [c for c in _cells(work) if c["file"] == "renamed.txt"]
    assert e3 and e3[0]["cell_id"] == "drug-E3"


def _journal_lines(folder: Path) -> int:
    try:
        return sum(1 for line in (folder / incremental.JOURNAL).read_bytes().splitlines() if line.strip())
    except OSError:
        return 0


@pytest.mark.parametrize("stage", [s.name for s in registry.per_capture()])
def test_kill_9_in_a_stage_keeps_what_it_finished(tmp_path, stage):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(SITE.iterdir()) if p.is_file()})
    work = tmp_path / "work"
    args = ["--raw", str(raw), "--interim", str(work / "interim"), "--processed", str(work / "processed")]
    env = {**os.environ, f"PIPELINE_PAUSE_{stage.upper()}": "0.3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "all", "-q", "-j", "1", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    folder = work / "interim" / stage
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _journal_lines(folder) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    finished = _journal_lines(folder)
    assert finished >= 3, "the run never got three captures into the stage"
    rerun = _cli(raw, work, "-v")
    assert rerun.returncode in (0, 1), rerun.stderr
    units = len(capture_files(raw))
    done = re.search(rf"{stage}: (\d+) of (\d+) unit", rerun.stderr)
    assert done and int(done.group(2)) == units and int(done.group(1)) == units - finished
    assert _published(work) == _fresh(raw, tmp_path / "fresh")


def test_a_quarantined_capture_keeps_the_report_and_its_removal_is_published(tmp_path):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    (raw / "empty.txt").write_text("", encoding="utf-8")
    work = tmp_path / "work"
    result = _make(raw, work)
    assert result.returncode != 0  # make reports the pipeline's status 1
    assert "quarantined: empty.txt [structure] no content" in result.stderr
    report = json.loads((work / "processed" / "report.json").read_text("utf-8"))
    assert [q["file"] for q in report["quarantined"]] == ["empty.txt"]
    html = (work / "processed" / "report.html").read_text("utf-8")
    assert "empty.txt" in html
    (raw / "empty.txt").unlink()
    again = _make(raw, work)
    assert again.returncode == 0, again.stderr
    assert "quarantined" not in again.stderr
    report = json.loads((work / "processed" / "report.json").read_text("utf-8"))
    assert report["quarantined"] == [] and "empty.txt" not in {c["file"] for c in report["captures"]}
    assert _published(work) == _fresh(raw, tmp_path / "fresh")


def test_a_year_outside_the_contract_quarantines_only_its_capture(tmp_path):
    cell = next(RAW.glob("003_*")).read_text("utf-8")
    years = re.findall(r"\((\d{4})\)\.", cell)
    assert years, "the capture should cite a plain year"
    bad = cell.replace(f"({years[0]}).", "(1881).", 1)
    raw = folder_of(tmp_path / "raw", {"good.txt": next(RAW.glob("001_*")), "bad.txt": bad})
    work = tmp_path / "work"
    status = main(["all", "-q", "--raw", str(raw), "--interim", str(work / "i"), "--processed", str(work / "p")])
    assert status == 1
    report = json.loads((work / "p" / "report.json").read_text("utf-8"))
    assert [q["file"] for q in report["quarantined"]] == ["bad.txt"]
    (error,) = report["quarantined"][0]["errors"]
    last = last_year()
    assert re.fullmatch(
        rf"publish: breaks the published contract \(year range: citations: year 1881 outside 1900–{last} "
        rf"\(drug-E3-\w+\); year range: entries: year 1881 outside 1900–{last} \(drug-E3-\w+\)\)",
        error,
    )
    import pandas as pd

    cells = pd.read_parquet(work / "p" / "cells.parquet")
    assert cells[cells.captured].cell_id.tolist() == ["drug-E4"]


def test_a_new_furniture_category_needs_one_edit(tmp_path):
    """One entry added to the phrase table (here at the end, the lowest precedence) and pages with the
    phrase are cleaned, not quarantined; a line running it together with an older category reports
    whichever the table lists first."""
    copy = tmp_path / "code"
    shutil.copytree(ROOT / "pipeline", copy / "pipeline")
    vocabulary = copy / "pipeline" / "site" / "furniture.py"
    text = vocabulary.read_text("utf-8")
    head, sep, tail = text.partition("PHRASES: dict[str, tuple[str, ...]] = {\n")
    body, close, rest = tail.partition("\n}\n")
    vocabulary.write_text(head + sep + body + '\n    "podcast": ("listen to the findings podcast",),' + close + rest)
    code = (
        "from pipeline.clean.passes import clean; from pipeline.model import Block, Capture\n"
        "for line in ('Listen to the Findings podcast', 'Matrix cell Listen to the Findings podcast'):\n"
        "    (b,) = clean(Capture('x.txt', 'text', '', [Block('paragraph', line)])).blocks\n"
        "    print(b.role, b.reason.split(':')[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=copy, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["furniture podcast", "furniture cell-header"]


def _fingerprints(package: Path) -> dict[str, str]:
    code = (
        "import json; from pipeline.runtime import incremental, registry; "
        "print(json.dumps({s.name: incremental.stage_fingerprint(s.name) for s in registry.STAGES}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=package, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_editing_the_report_redoes_only_the_report(tmp_path):
    copy = tmp_path / "code"
    shutil.copytree(ROOT / "pipeline", copy / "pipeline")
    before = _fingerprints(copy)
    page = copy / "pipeline" / "report" / "page.py"
    page.write_text(page.read_text("utf-8").replace("data report", "data report (edited)"), encoding="utf-8")
    after = _fingerprints(copy)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"publish", "report"}  # publish draws report.html into the set it publishes


def test_the_reference_finders_are_structure_code_not_publish_code(tmp_path):
    copy = tmp_path / "code"
    shutil.copytree(ROOT / "pipeline", copy / "pipeline")
    before = _fingerprints(copy)
    for name in ("references.py", "crossrefs.py"):
        finder = copy / "pipeline" / "structure" / name
        finder.write_text(finder.read_text("utf-8") + "# edited\n", encoding="utf-8")
    after = _fingerprints(copy)
    assert {name for name in before if before[name] != after[name]} == {"structure"}  # publish only makes rows


def test_the_makefile_follows_the_registry():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    for stage in registry.STAGES:
        rule = re.search(rf"^{re.escape(stage.target)}:.*\n\t\$\(RUN\) (\S+)", makefile, re.M)
        assert rule and rule.group(1) == stage.name, stage.target
    assert re.search(r"^clean:\n\trm ", makefile, re.M), "make clean deletes built artefacts"


def test_no_runtime_module_imports_a_stage():
    stages = {s.run.split(".")[1] for s in registry.STAGES} | {"fetch", "site"}
    for path in sorted((ROOT / "pipeline" / "runtime").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline."):
                assert node.module.split(".")[1] not in stages, f"{path.name} imports {node.module}"


def test_version_and_quiet(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert re.fullmatch(r"findings-pipeline \d+\.\d+\.\d+\n", capsys.readouterr().out)
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    assert (
        main(["all", "-q", "--raw", str(raw), "--interim", str(tmp_path / "i"), "--processed", str(tmp_path / "p")])
        == 0
    )
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", "")


def test_warnings_are_counted_at_the_end_of_a_run(tmp_path, capsys):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in sorted(RAW.iterdir())})
    assert main(["all", "--raw", str(raw), "--interim", str(tmp_path / "i"), "--processed", str(tmp_path / "p")]) == 0
    err = capsys.readouterr().err
    report = json.loads((tmp_path / "p" / "report.json").read_text("utf-8"))
    total = sum(len(c["warnings"]) for c in report["captures"])
    assert total > 0
    assert f"{total} warning(s) in " in err
    first = next(c for c in report["captures"] if c["warnings"])
    assert f"  warning: {first['file']}: {first['warnings'][0]}" in err
