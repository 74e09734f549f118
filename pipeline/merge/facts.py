"""What merging and the report need of one structured capture, taken as it is structured: the
structure stage keeps these in its index, so merge ranks the whole corpus without reading a page
and then loads only the pages it folds, one at a time."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import msgspec

from pipeline.merge.fold import Seen, seen
from pipeline.model import Axis, Page
from pipeline.publish import runreport as report


@dataclass
class Facts:
    described: dict  # the report's record of the capture
    seen: Seen | None = None  # a candidate for a cell or a document
    axes: list[Axis] = field(default_factory=list)
    captured_at: str | None = None  # when it was captured (manifest or WARC): the refresh it came in


def facts(page: Page) -> dict:
    """As plain JSON-ready values, for the index."""
    return msgspec.to_builtins(Facts(report.describe(page), seen(page), page.axes, page.captured_at), order="sorted")


class Held(msgspec.Struct):
    """One capture's `Facts` as merge decodes them: its report record left as the JSON it is (merge
    only copies it into captures.json; decoded, it was two thirds of merge's memory), the rest typed."""

    described: msgspec.Raw
    seen: Seen | None = None
    axes: list[Axis] = []
    captured_at: str | None = None


class Indexed(msgspec.Struct):
    """What merge reads of one unit of the structure stage's index: its outputs, their facts decoded
    straight into `Held` (no generic dicts in between), and its part."""

    outputs: dict[str, str]
    facts: dict[str, Held] = {}
    part: str | None = None


@dataclass
class Corpus:
    """All merge keeps of the whole corpus, a few hundred bytes a capture: each capture's capture time
    and structured record's hash, the candidates, and of the axes only those `merge_axes` can choose
    (the report records went to a file)."""

    captured: dict[str, str | None]  # in capture-name order
    structured: dict[str, str]  # capture → sha256 of its structured record
    candidates: list[Seen]  # in capture-name order
    axes: list[Axis]
    parted: bool  # some structured records are kept in parts


class Unit(msgspec.Struct, array_like=True):
    """What a gathering holds of one unit of structure's index: its captures, and whether they are kept in a part."""

    names: list[str]
    parted: bool


class Gathering(msgspec.Struct):
    """What merge gathers of structure's index, by unit and by capture: the `Corpus` is made of it, and
    merge keeps it between runs (`merge/kept.py`) so that the next run replays only the index lines
    that changed over it, not the whole index."""

    units: dict[str, Unit] = {}
    captured: dict[str, str | None] = {}  # capture → its capture time
    structured: dict[str, str] = {}  # capture → sha256 of its structured record
    candidates: dict[str, Seen] = {}  # capture → it as a candidate, if it is one
    axes: dict[str, list[Axis]] = {}  # capture → the axis labels it shows, if it shows any

    def add(self, unit: str, entry: Indexed, shared: dict[object, object]) -> None:
        """One unit of the index (dropped first, if the gathering holds it already)."""
        self.drop(unit)
        self.units[unit] = Unit(sorted(entry.outputs.keys() | entry.facts.keys()), entry.part is not None)
        self.structured.update(entry.outputs)
        for name, held in entry.facts.items():
            self.captured[name] = _share(shared, held.captured_at)
            if held.seen:
                self.candidates[name] = _compact(held.seen, name, shared)
            if held.axes:
                self.axes[name] = held.axes

    def drop(self, unit: str) -> None:
        """A unit no longer in the index (or about to be replaced)."""
        kept = self.units.pop(unit, None)
        for name in kept.names if kept else ():
            for held in (self.captured, self.structured, self.candidates, self.axes):
                held.pop(name, None)

    def corpus(self) -> Corpus:
        chosen: dict[tuple[str, str, str], dict[str, tuple[str, int, Axis]]] = {}
        for name in sorted(self.axes):  # of each axis: the first label in capture-name order, and the first described
            for n, axis in enumerate(self.axes[name]):
                kept = chosen.setdefault((axis.matrix, axis.axis, axis.code), {})
                if "first" not in kept:
                    kept["first"] = (name, n, axis)
                if axis.description and "described" not in kept:
                    kept["described"] = (name, n, axis)
        axes = sorted({found[:2]: found for kept in chosen.values() for found in kept.values()}.values())
        return Corpus(
            {name: self.captured[name] for name in sorted(self.captured)},
            self.structured,
            [self.candidates[name] for name in sorted(self.candidates)],
            [axis for _, _, axis in axes],
            any(unit.parted for unit in self.units.values()),
        )


def gather(units: Iterable[tuple[str, Indexed]], described: BinaryIO) -> Gathering:
    """The index's facts, read a unit at a time; each capture's report record is written to `described`
    as it is in the index (a JSON list, one record a line, in capture-name order: spilled to a
    temporary file first, so only its place is kept)."""
    gathering = Gathering()
    places: list[tuple[str, int, int]] = []
    shared: dict[object, object] = {}  # one object for each value many captures repeat (cell, kind, day)
    with tempfile.TemporaryFile() as spill:
        for unit, entry in units:
            gathering.add(unit, entry, shared)
            for name, held in entry.facts.items():
                places.append((name, spill.tell(), len(held.described)))
                spill.write(held.described)
        places.sort()
        described.write(b"[\n")
        for n, (_, start, size) in enumerate(places):
            spill.seek(start)
            described.write((b",\n" if n else b"") + spill.read(size))
        described.write(b"\n]\n")
    return gathering


def _share(shared: dict[object, object], value: Any) -> Any:
    """The one object kept for a string (other values as they are: 1 == True would share them)."""
    return shared.setdefault(value, value) if isinstance(value, str) else value


def _compact(s: Seen, name: str, shared: dict[object, object]) -> Seen:
    """The candidate with its repeated values shared: its capture name once (its rank ends with it)
    and one object for each cell, kind, date and capture time. Inlined (no call a value): it runs
    once a capture over the whole corpus."""
    share: Callable[[Any, Any], Any] = shared.setdefault
    rank = tuple([name if v == name else share(v, v) if v.__class__ is str else v for v in s.rank])
    revised, at = s.revised, s.captured_at
    return Seen(
        name,
        s.sha256,
        share(s.kind, s.kind),
        share(s.group, s.group),
        rank,
        share(revised, revised) if revised is not None else None,
        share(at, at) if at is not None else None,
    )
