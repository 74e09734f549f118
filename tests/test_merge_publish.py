"""Merging captures of one cell, validation, determinism and the command line."""

from __future__ import annotations

import filecmp
import importlib
import json
import subprocess
import sys

import pytest
from conftest import RAW, ROOT, TABLES, folder_of, run_on
from test_structure_units import CELL

from pipeline.cli import main
from pipeline.model import to_pretty_json, write_pretty
from pipeline.publish.schemas import data_dictionary
from pipeline.publish.validate import validate
from pipeline.runtime.records import read_record
from pipeline.runtime.tasks import output_path


def test_two_captures_of_one_cell_become_one(seeds):
    cells = seeds.table("cells").set_index("cell_id")
    entries = seeds.table("entries")
    assert len(entries[entries.cell_id == "alcohol-E4"]) == 16
    report = {c["file"]: c for c in seeds.report["captures"]}
    assert report["000_4de8c99393e6b4f0.txt"]["notes"] == []
    assert "description taken from this capture" not in report["002_ce4cb470b6e6483c.txt"]["notes"]
    assert cells.loc["alcohol-E4", "entry_count"] == 16


def test_lost_tag_and_cut_off_entries_are_filled_from_another_capture(tmp_path):
    lost_tag = CELL.replace("G Protecting", "Protecting")
    cut = CELL.split("G Protecting")[0] + "G Protecting fam"
    run = run_on(folder_of(tmp_path / "raw", {"a.txt": lost_tag, "b.txt": cut}), tmp_path)
    entries = run.table("entries")
    assert entries.title.tolist() == [
        "Keeping children safe",
        "Does training change practice?",
        "Protecting families guidance",
    ]
    assert entries.types_inferred.tolist() == [False, False, False]
    assert not entries.cut_off.any()
    assert list(run.table("cells").query("captured").sources.iloc[0]) == ["a.txt", "b.txt"]


def test_tag_letter_comes_from_the_capture_that_kept_it(tmp_path):
    lost = CELL.replace("Last revised 02 March 2019.", "").replace("G Protecting", "Protecting")
    kept = "<html><body>" + "".join(f"<p>{line}</p>" for line in CELL.splitlines() if line) + "</body></html>"
    run = run_on(folder_of(tmp_path / "raw", {"lost.txt": lost, "kept.html": kept}), tmp_path)
    entries = run.table("entries")
    assert entries.types_inferred.tolist() == [False, False, False]
    assert list(entries.types.iloc[2]) == ["G"]


def test_older_revision_is_superseded(tmp_path):
    old = CELL.replace("02 March 2019", "02 March 2015").replace(
        "K Keeping children safe (2010)", "K Keeping children safer (2009)"
    )
    run = run_on(folder_of(tmp_path / "raw", {"new.txt": CELL, "old.txt": old}), tmp_path)
    assert run.table("entries").title.iloc[0] == "Keeping children safe"
    report = {c["file"]: c for c in run.report["captures"]}
    assert report["old.txt"]["status"] == "superseded"
    assert "superseded" in report["old.txt"]["notes"][0]


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"captures": [], "totals": {}},
        {"b": [{"x": 1, "y": [1, 2], "z": {}}, {"é": "a\nb", "w": []}], "a": None, "c": {"k": [[]]}},
    ],
)
def test_a_report_written_a_piece_at_a_time_is_the_same_bytes(record, tmp_path):
    with (tmp_path / "r.json").open("wb") as out:
        write_pretty(out, record)
    assert (tmp_path / "r.json").read_text("utf-8") == to_pretty_json(record)


def test_a_report_streamed_in_runs_with_values_given_late_is_the_same_bytes(tmp_path):
    """publish writes report.json's captures as batches come (an iterator of runs of the list) and its
    totals once they are counted (a function, called when its key is reached)."""
    items = [{"x": 1, "y": [1, 2]}, {"é": "a\nb"}, {"z": {}}]
    counted: list[int] = []

    def runs():
        yield items[:2]
        yield []
        counted.append(2)
        yield items[2:]
        counted.append(1)

    streamed = {"captures": runs(), "none": iter([[]]), "totals": lambda: {"seen": sum(counted)}}
    with (tmp_path / "r.json").open("wb") as out:
        write_pretty(out, streamed)
    expected = {"captures": items, "none": [], "totals": {"seen": 3}}
    assert (tmp_path / "r.json").read_text("utf-8") == to_pretty_json(expected)


def test_two_runs_write_identical_bytes(tmp_path):
    first, second = run_on(RAW, tmp_path / "one"), run_on(RAW, tmp_path / "two")
    for name in TABLES:
        assert filecmp.cmp(first.processed / f"{name}.parquet", second.processed / f"{name}.parquet", shallow=False)
    assert (first.processed / "report.json").read_bytes() == (second.processed / "report.json").read_bytes()


def test_bad_capture_is_quarantined_and_the_rest_published(tmp_path):
    raw = folder_of(tmp_path / "raw", {"good.txt": CELL, "empty.txt": "", "furniture.txt": "Tweet\n\nComment/query\n"})
    run = run_on(raw, tmp_path)
    assert run.status == 1
    assert {q["file"] for q in run.report["quarantined"]} == {"empty.txt", "furniture.txt"}
    assert run.table("cells").query("captured").cell_id.tolist() == ["drug-B5"]
    strict = run_on(raw, tmp_path / "strict", "--strict")
    assert strict.status == 2
    assert not (tmp_path / "strict" / "processed" / "cells.parquet").exists()


def test_validation_names_each_broken_rule():
    tables = {
        "cells": [{"cell_id": "drug-F9"}],
        "entries": [
            {"entry_id": "e1", "cell_id": "drug-A1", "title": " ", "year": 1850},
            {"entry_id": "e1", "cell_id": "drug-F9", "title": "ok", "year": 2001},
        ],
        "citations": [{"citation_id": "c1", "cell_id": "drug-F9", "entry_id": "e9", "year": None}],
        "links": [{"link_id": "l1", "cell_id": "drug-F9", "entry_id": None, "target_cell_id": "drug-Z1"}],
    }
    problems = "\n".join(p.message for p in validate(tables))
    for expected in (
        "duplicate entry_id",
        "cell_id 'drug-A1' has no row in cells",
        "entry_id 'e9' has no row",
        "'drug-F9' is not a cell",
        "target_cell_id 'drug-Z1'",
        "empty title",
        "year 1850 outside",
    ):
        assert expected in problems


def test_missing_capture_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["all", "--raw", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("stage", ["extract", "clean", "structure", "merge", "publish", "all", "docs"])
def test_every_stage_has_help(stage):
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", stage, "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert "--raw" in out and "--processed" in out


def test_data_dictionary_is_up_to_date():
    assert (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8") == data_dictionary()


def test_manifest_url_names_a_cell(tmp_path):
    body = CELL.replace("Drug Treatment Matrix cell B5 Matrix cell logo\n", "")
    raw = folder_of(
        tmp_path / "raw",
        {
            "page.txt": body,
            "manifest.csv": "file,url,captured_at\n"
            "page.txt,https://findings.org.uk/PHP/dl.php?file=Matrix/Alcohol/B5.htm,2024-01-01T00:00:00Z\n",
        },
    )
    run = run_on(raw, tmp_path)
    cells = run.table("cells").query("captured")
    assert cells.cell_id.tolist() == ["alcohol-B5"] and cells.identified_by.tolist() == ["url"]


@pytest.mark.parametrize(
    ("module", "function", "file_of"),
    [
        ("pipeline.extract.entry", "extract_entry", lambda name, *_: name),
        ("pipeline.clean.passes", "clean", lambda capture: capture.file),
        ("pipeline.structure", "structure", lambda cleaned: cleaned.capture.file),
    ],
    ids=["extract", "clean", "structure"],
)
def test_a_capture_that_breaks_a_stage_is_quarantined_alone(tmp_path, monkeypatch, module, function, file_of):
    """The step raises on one capture (in the chain, records handed on in memory): that capture is
    quarantined at that step, the later steps still get its quarantined record, and the rest publish."""
    stage = importlib.import_module(module)
    real = getattr(stage, function)

    def fragile(*given):
        if file_of(*given) == "bad.txt":
            raise RuntimeError("boom")
        return real(*given)

    monkeypatch.setattr(stage, function, fragile)  # two captures: run in this process
    run = run_on(folder_of(tmp_path / "raw", {"good.txt": CELL, "bad.txt": CELL.replace("B5", "B4")}), tmp_path)
    assert run.status == 1
    message = f"{module.split('.')[1]}: RuntimeError: boom"
    assert run.report["quarantined"] == [{"file": "bad.txt", "errors": [message]}]
    assert run.table("cells").query("captured").cell_id.tolist() == ["drug-B5"]
    page = json.loads(read_record(output_path(run.interim / "structure", "bad.txt")))
    assert (page["kind"], page["errors"]) == ("other", [message])
