"""The index read a unit at a time (`incremental.each_unit`) and merge's facts gathered from it."""

import io
import json

import msgspec

from pipeline.merge import facts
from pipeline.merge.fold import Seen, merge_axes
from pipeline.model import Axis
from pipeline.runtime import incremental
from pipeline.runtime.incremental import Entry


def _entry(n: int) -> Entry:
    return Entry(key=f"k{n}", outputs={f"c{n}": f"h{n}"})


def test_each_unit_reads_the_index_a_line_a_unit_with_the_journal_replayed_over_it(tmp_path):
    incremental.save(tmp_path, {"b": _entry(2), "a": _entry(1), "c": _entry(3)})
    assert (tmp_path / incremental.INDEX).read_bytes().split(b"\n") == [
        b"{",
        b'"a":{"key":"k1","outputs":{"c1":"h1"}},',
        b'"b":{"key":"k2","outputs":{"c2":"h2"}},',
        b'"c":{"key":"k3","outputs":{"c3":"h3"}}',
        b"}",
        b"",
    ]
    journal = incremental.Journal(tmp_path)
    journal.add("b", _entry(20))
    journal.add("c", None)
    journal.add("d", _entry(4))
    journal.close()
    assert list(incremental.each_unit(tmp_path)) == [("a", _entry(1)), ("b", _entry(20)), ("d", _entry(4))]
    assert incremental.load(tmp_path) == {"a": _entry(1), "b": _entry(20), "d": _entry(4)}


def test_each_unit_reads_an_index_written_on_one_line_and_an_empty_one(tmp_path):
    (tmp_path / incremental.INDEX).write_bytes(msgspec.json.encode({"a": _entry(1), "b": _entry(2)}, order="sorted"))
    assert list(incremental.each_unit(tmp_path)) == [("a", _entry(1)), ("b", _entry(2))]
    incremental.save(tmp_path, {})
    assert (tmp_path / incremental.INDEX).read_bytes() == b"{\n}\n"
    assert list(incremental.each_unit(tmp_path)) == []
    assert incremental.load(tmp_path) == {}


def _held(name: str, cell: str, axes: list[Axis]) -> facts.Held:
    seen = Seen(name, "sha-" + name, "cell", cell, (0, "", False, -1, 0, 0, name), None, "2020-01-01")
    return facts.Held(msgspec.Raw(json.dumps({"file": name}).encode()), seen, axes, "2020-01-01")


def test_gather_writes_the_report_records_and_keeps_the_candidates_in_capture_name_order():
    a1, a2 = Axis("alcohol", "column", "A", "Label one", None), Axis("alcohol", "column", "A", "Label two", "Said")
    a3 = Axis("alcohol", "column", "A", "Label three", "Also said")
    b, b2 = Axis("drug", "row", "1", "Row", None), Axis("drug", "row", "1", "Row", "Described later")
    units = [  # a part holding captures out of name order, then a capture of its own
        (
            "part-1",
            facts.Indexed(
                {"z": "hz", "m": "hm"}, {"z": _held("z", "x-A1", [a1, b2]), "m": _held("m", "x-A1", [a3, b])}, "part-1"
            ),
        ),
        ("a", facts.Indexed({"a": "ha"}, {"a": _held("a", "x-B2", [a2])})),
    ]
    out = io.BytesIO()
    corpus = facts.gather(units, out)
    assert out.getvalue() == b'[\n{"file": "a"},\n{"file": "m"},\n{"file": "z"}\n]\n'
    assert list(corpus.captured) == ["a", "m", "z"]
    assert corpus.structured == {"z": "hz", "m": "hm", "a": "ha"}
    assert [s.capture for s in corpus.candidates] == ["a", "m", "z"]
    assert corpus.candidates[2] == Seen("z", "sha-z", "cell", "x-A1", (0, "", False, -1, 0, 0, "z"), None, "2020-01-01")
    assert corpus.candidates[1].group is corpus.candidates[2].group  # one object for a cell many captures name
    assert corpus.candidates[2].rank[-1] is corpus.candidates[2].capture
    assert corpus.parted is True
    # of each axis, the first label in capture-name order and the first described: the others dropped
    assert corpus.axes == [a2, b, b2]
    assert merge_axes(corpus.axes) == merge_axes([a2, a3, b, a1, b2])
    assert [a.description for a in merge_axes(corpus.axes) if a.matrix == "drug" and a.code == "1"] == [
        "Described later"
    ]
