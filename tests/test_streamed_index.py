"""The index read a unit at a time (`incremental.each_unit`) and merge's facts gathered from it."""

import hashlib
import io
import json

import msgspec
import pytest

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
    corpus = facts.gather(units, out).corpus()
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


def _structure_folder(folder, units: dict[str, facts.Indexed]) -> None:
    """A structure stage's index of these units (facts kept as the JSON the stage writes)."""
    incremental.save(folder, {unit: _as_entry(indexed) for unit, indexed in units.items()})


def _as_entry(indexed: facts.Indexed) -> Entry:
    raw = {name: msgspec.Raw(msgspec.json.encode(held)) for name, held in indexed.facts.items()}
    return Entry(key="k", outputs=indexed.outputs, facts=raw, part=indexed.part)


def _unit(name: str, cell: str, axes: list[Axis] = []) -> facts.Indexed:  # noqa: B006 (never changed)
    return facts.Indexed({name: "h" + name}, {name: _held(name, cell, axes)})


def _gathered(source, merge) -> tuple[facts.Corpus, bytes]:
    """`kept.gathered` as merge runs it, its gathering then kept as merge keeps it."""
    from pipeline.merge import kept

    index_sha = hashlib.sha256((source / incremental.INDEX).read_bytes()).hexdigest()
    journal = incremental.journal_bytes(source)
    out = io.BytesIO()
    gathering = kept.gathered(source, index_sha, journal, merge, out)
    (merge / "captures.json").write_bytes(out.getvalue())
    kept.keep(merge, gathering, index_sha, journal, hashlib.sha256(out.getvalue()).hexdigest())
    return gathering.corpus(), out.getvalue()


def _journaled(source, lines: list[tuple[str, facts.Indexed | None]]) -> None:
    journal = incremental.Journal(source)
    for unit, indexed in lines:
        journal.add(unit, _as_entry(indexed) if indexed else None)
    journal.close()


@pytest.fixture
def full_gathers(monkeypatch) -> list[int]:
    """How many times merge gathered the whole index."""
    from pipeline.merge import kept

    counted: list[int] = []
    real = kept.gather
    monkeypatch.setattr(kept, "gather", lambda *a: counted.append(1) or real(*a))
    return counted


def test_a_kept_gathering_replays_only_the_journal_lines_written_since(tmp_path, full_gathers):
    source, merge, fresh = tmp_path / "structure", tmp_path / "merge", tmp_path / "fresh"
    for folder in (source, merge, fresh):
        folder.mkdir()
    a2 = Axis("alcohol", "column", "A", "Label", "Said")
    _structure_folder(source, {"b": _unit("b", "x-A1"), "d": _unit("d", "x-A1", [a2]), "f": _unit("f", "x-B2")})
    _journaled(source, [("c", _unit("c", "x-A1"))])
    _gathered(source, merge)
    assert full_gathers == [1]
    # a new capture, a changed one, a removed one (and its axis label with it)
    _journaled(source, [("a", _unit("a", "x-B2")), ("b", _unit("b", "x-C3")), ("d", None)])
    corpus, described = _gathered(source, merge)
    assert full_gathers == [1]  # the kept gathering was brought up to date
    assert described == b'[\n{"file": "a"},\n{"file": "b"},\n{"file": "c"},\n{"file": "f"}\n]\n'
    assert list(corpus.captured) == ["a", "b", "c", "f"]
    assert [(s.capture, s.group) for s in corpus.candidates] == [
        ("a", "x-B2"),
        ("b", "x-C3"),
        ("c", "x-A1"),
        ("f", "x-B2"),
    ]
    assert corpus.structured == {"a": "ha", "b": "hb", "c": "hc", "f": "hf"}
    assert corpus.axes == [] and corpus.parted is False
    assert (corpus, described) == _gathered(source, fresh)  # as gathered from scratch
    assert full_gathers == [1, 1]


@pytest.mark.parametrize("change", ["index", "journal", "captures", "code", "kept"])
def test_a_kept_gathering_is_not_trusted_once_its_inputs_changed(tmp_path, full_gathers, monkeypatch, change):
    from pipeline.merge import kept

    source, merge = tmp_path / "structure", tmp_path / "merge"
    source.mkdir(), merge.mkdir()
    _structure_folder(source, {"b": _unit("b", "x-A1")})
    _journaled(source, [("c", _unit("c", "x-A1"))])
    _gathered(source, merge)
    expected = [("b", "x-A1"), ("c", "x-A1")]
    if change == "index":  # written again (by a stage run on its own), the same journal line after it
        _structure_folder(source, {"b": _unit("b", "x-A1"), "e": _unit("e", "x-E5")})
        _journaled(source, [("c", _unit("c", "x-A1"))])
        expected.append(("e", "x-E5"))
    elif change == "journal":  # the lines it read are no longer there: as long, but not the same
        (source / incremental.JOURNAL).unlink()
        _journaled(source, [("c", _unit("c", "x-D4"))])
        expected[1] = ("c", "x-D4")
    elif change == "captures":
        (merge / "captures.json").write_bytes(b'[\n{"file": "b"},\n{"file": "x"}\n]\n')
    elif change == "code":
        monkeypatch.setattr(incremental, "stage_fingerprint", lambda stage: "new merge code")
    else:
        (merge / kept.KEPT).write_bytes(b"\x93damaged")
    corpus, described = _gathered(source, merge)
    assert full_gathers == [1, 1]
    assert [(s.capture, s.group) for s in corpus.candidates] == expected
    assert described == b"[\n" + b",\n".join(b'{"file": "%s"}' % n.encode() for n, _ in expected) + b"\n]\n"
