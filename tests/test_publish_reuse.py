"""Publish after a new capture that leaves every cell and document as merged (an older revision, say)
takes the site tables from the set in place (publish/sitefacts.py) and makes the captures table and
report.json a batch at a time (publish/streamed.py): the set is the one a fresh run makes of the
same captures, byte for byte."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import msgspec
import pyarrow.parquet as pq
import pytest
from conftest import RAW, run_on

from bench import synth
from pipeline.model import to_pretty_json
from pipeline.publish import sitefacts, tables, write
from pipeline.publish.streamed import batches
from pipeline.runtime.orchestrator import UnreadableInput


def _files(processed: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(processed.iterdir()) if p.is_file()}


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """How many cells each build of the site tables was given."""
    built: list[int] = []
    real = tables.build_tables

    def counted(cells, *rest, **named):
        built.append(len(cells))
        return real(cells, *rest, **named)

    monkeypatch.setattr(tables, "build_tables", counted)
    return built


def _add(raw: Path, seed: int) -> str:
    new = synth.corpus(synth.seeds(RAW), 1, seed=seed)[0]
    (raw / f"new-{seed}-{new.name}").write_bytes(new.data)
    return f"new-{seed}-{new.name}"


def test_a_new_capture_that_changes_no_cell_reuses_the_site_tables_and_equals_a_fresh_run(tmp_path, builds):
    raw = tmp_path / "raw"
    synth.write(synth.corpus(synth.seeds(RAW), 12), raw)
    run_on(raw, tmp_path / "a")
    assert builds == [1]  # the corpus's cell pages are all of one cell (and its analyses, of one document)
    name = _add(raw, 7)
    again = run_on(raw, tmp_path / "a")
    assert builds == [1]  # nothing built: the site is the last set's
    fresh = run_on(raw, tmp_path / "b")
    assert builds == [1, 1]
    assert _files(again.processed) == _files(fresh.processed)
    [row] = [r for r in pq.read_table(again.processed / "captures.parquet").to_pylist() if r["file"] == name]
    assert (row["status"], row["cell_id"], row["entries_contributed"], row["fields_contributed"]) == (
        "superseded",
        "alcohol-A1",
        0,
        [],
    )
    kept = msgspec.json.decode((again.interim / "publish" / sitefacts.FILE).read_bytes())["facts"]
    entries = pq.read_table(again.processed / "entries.parquet").to_pylist()
    assert kept["given"] == dict(Counter(e["source_capture"] for e in entries))
    assert kept["rows"] == {n: pq.ParquetFile(again.processed / f"{n}.parquet").metadata.num_rows for n in kept["rows"]}
    assert kept["cells"] == {
        "alcohol-A1": {
            "sources": ["000003_003_ee8d256968168fd8.txt", "000008_003_ee8d256968168fd8.md"],
            "present": ["description", "more", "bite"],
        }
    }
    [cell] = [c for c in pq.read_table(again.processed / "cells.parquet").to_pylist() if c["captured"]]
    assert (cell["last_revised"], cell["first_uploaded"], cell["more"] is not None) == (None, None, True)
    [document] = pq.read_table(again.processed / "documents.parquet").to_pylist()
    assert kept["documents"] == {document["document_id"]: document["sources"]}


def test_a_site_table_changed_in_place_is_built_again(tmp_path, builds):
    raw = tmp_path / "raw"
    synth.write(synth.corpus(synth.seeds(RAW), 12), raw)
    first = run_on(raw, tmp_path / "a")
    (first.processed / "works.parquet").write_bytes((first.processed / "links.parquet").read_bytes())
    _add(raw, 8)
    again = run_on(raw, tmp_path / "a")
    assert builds == [1, 1]
    assert _files(again.processed) == _files(run_on(raw, tmp_path / "b").processed)


def test_captures_are_written_a_row_group_at_a_time_and_report_json_is_the_same(tmp_path, monkeypatch):
    whole = run_on(RAW, tmp_path / "whole")
    monkeypatch.setattr(write, "ROWS_PER_GROUP", 2)
    batched = run_on(RAW, tmp_path / "batched")
    found = pq.ParquetFile(batched.processed / "captures.parquet")
    assert [found.metadata.row_group(i).num_rows for i in range(found.num_row_groups)] == [2, 2, 1]
    assert found.read().to_pylist() == pq.read_table(whole.processed / "captures.parquet").to_pylist()
    report = (batched.processed / "report.json").read_text("utf-8")
    assert report == (whole.processed / "report.json").read_text("utf-8")
    assert report == to_pretty_json(msgspec.json.decode(report))
    assert [c["file"] for c in msgspec.json.decode(report)["captures"]] == sorted(p.name for p in RAW.glob("0*"))


def _record(name: str) -> dict:
    return {
        "file": name,
        "sha256": "0" * 64,
        "url": None,
        "captured_at": "2024-05-01T10:00:00Z",
        "format": "text",
        "kind": "cell",
        "cell_id": "drug-A1",
        "entries_found": 3,
        "title": None,
        "furniture_removed": 2,
        "removed": {"furniture:funding": 2},
        "warnings": [],
        "errors": [],
    }


def _captures(path: Path, names: list[str]) -> Path:
    path.write_bytes(b"[\n" + b",\n".join(msgspec.json.encode(_record(n)) for n in names) + b"\n]\n")
    return path


def test_captures_json_is_read_in_batches_in_name_order(tmp_path):
    source = _captures(tmp_path / "captures.json", ["a", "b", "c"])
    found = [[msgspec.to_builtins(c) for c in batch] for batch in batches(source, 2)]
    assert found == [[_record("a") | TOLD, _record("b") | TOLD], [_record("c") | TOLD]]
    assert list(batches(_captures(tmp_path / "none.json", []), 2)) == []


TOLD = {"status": "", "notes": []}  # what publish gives each record, before it does


@pytest.mark.parametrize("names", [["a", "c", "b"], ["a", "b", "b"], ["b", "a"]])
def test_captures_json_out_of_order_is_not_merges_output(tmp_path, names):
    with pytest.raises(UnreadableInput) as raised:
        list(batches(_captures(tmp_path / "captures.json", names), 2))
    assert (raised.value.stage, raised.value.names) == ("merge", None)


def test_a_value_outside_a_columns_allowed_values_is_told_row_by_row():
    """The enum check asks first whether a column's values are all allowed, as a set; a column with
    one that is not (an item of a list column, a value that cannot be hashed) is told row by row."""
    from pipeline.publish.validate import outside_enums

    rows = [
        {"entry_id": "e1", "cell_id": "drug-A1", "types": ["S", "K"]},
        {"entry_id": "e2", "cell_id": "drug-A2", "types": ["K", "X"]},
        {"entry_id": "e3", "cell_id": "drug-A3", "types": "S"},
    ]
    captures = [{"file": "a", "cell_id": None, "status": {"k": 1}, "format": "text", "page_kind": "cell"}]
    found = outside_enums({"entries": rows, "captures": captures})
    assert [(p.rule, p.message, p.cell_id) for p in found] == [
        ("allowed values", "entries: types 'X' is not one of ['S', 'K', 'R', 'G']", "drug-A2"),
        (
            "allowed values",
            "captures: status {'k': 1} is not one of ['published', 'superseded', 'identical', 'quarantined']",
            None,
        ),
    ]
    assert outside_enums({"entries": rows[:1] + rows[2:], "captures": [captures[0] | {"status": "published"}]}) == []


def test_a_capture_record_is_typed_with_the_fields_describe_gives_it(seeds):
    """publish decodes captures.json and writes report.json's records as `Described`: its fields are
    the ones `describe` writes, and the two publish adds."""
    from pipeline.model import Page, from_json
    from pipeline.publish.runreport import Described, describe
    from pipeline.runtime.records import read_record
    from pipeline.runtime.tasks import output_path

    page = from_json(Page, read_record(output_path(seeds.interim / "structure", "003_ee8d256968168fd8.txt")))
    record = describe(page)
    typed = msgspec.json.decode(msgspec.json.encode(record), type=Described)
    assert list(Described.__struct_fields__) == [*record, "status", "notes"]
    assert msgspec.to_builtins(typed) == record | {"status": "", "notes": []}
    assert (typed.kind, typed.cell_id, typed.entries_found, typed.furniture_removed) == ("cell", "drug-E3", 22, 22)


def test_a_site_table_replaced_while_the_set_is_made_is_not_copied(tmp_path, monkeypatch, capsys):
    """The site tables in place are checked when the kept site is taken and again, under the publish
    lock, when they are copied: another run that published in between makes this one stop."""
    from pipeline.publish import stage

    raw = tmp_path / "raw"
    synth.write(synth.corpus(synth.seeds(RAW), 12), raw)
    first = run_on(raw, tmp_path / "a")
    works = first.processed / "works.parquet"
    real = stage._kept_site

    def replaced_after(*args, **named):
        found = real(*args, **named)
        works.write_bytes(b"another run's works")
        return found

    monkeypatch.setattr(stage, "_kept_site", replaced_after)
    _add(raw, 9)
    capsys.readouterr()
    assert run_on(raw, tmp_path / "a").status == 2
    assert "while this one made its set: run again" in capsys.readouterr().err
    assert works.read_bytes() == b"another run's works"
