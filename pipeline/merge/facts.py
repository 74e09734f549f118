"""What merging and the report need of one structured capture, taken as it is structured: the
structure stage keeps these in its index, so merge ranks the whole corpus without reading a page
and then loads only the pages it folds, one at a time."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
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


def gather(units: Iterable[tuple[str, Indexed]], described: BinaryIO) -> Corpus:
    """The index's facts, read a unit at a time, in capture-name order; each capture's report record
    is written to `described` as it is in the index (a JSON list, one record a line, in capture-name
    order: spilled to a temporary file first, so only its place is kept)."""
    captured: dict[str, str | None] = {}
    structured: dict[str, str] = {}
    candidates: list[Seen] = []
    axes: dict[tuple[str, str, str], list[tuple[str, int, Axis]]] = {}
    places: list[tuple[str, int, int]] = []
    parted = False
    shared: dict[object, object] = {}  # one object for each value many captures repeat (cell, kind, day)
    with tempfile.TemporaryFile() as spill:
        for _, entry in units:
            parted = parted or entry.part is not None
            structured.update(entry.outputs)
            for name, held in entry.facts.items():
                places.append((name, spill.tell(), len(held.described)))
                spill.write(held.described)
                captured[name] = _share(shared, held.captured_at)
                if held.seen:
                    candidates.append(_compact(held.seen, name, shared))
                for n, axis in enumerate(held.axes):
                    _keep_axis(axes.setdefault((axis.matrix, axis.axis, axis.code), []), (name, n, axis))
        places.sort()
        described.write(b"[\n")
        for n, (_, start, size) in enumerate(places):
            spill.seek(start)
            described.write((b",\n" if n else b"") + spill.read(size))
        described.write(b"\n]\n")
    candidates.sort(key=lambda s: s.capture)
    return Corpus(
        dict(sorted(captured.items())),
        structured,
        candidates,
        [axis for _, _, axis in sorted(kept for found in axes.values() for kept in found)],
        parted,
    )


def _share(shared: dict[object, object], value: Any) -> Any:
    """The one object kept for a string (other values as they are: 1 == True would share them)."""
    return shared.setdefault(value, value) if isinstance(value, str) else value


def _compact(s: Seen, name: str, shared: dict[object, object]) -> Seen:
    """The candidate with its repeated values shared: its capture name once (its rank ends with it)
    and one object for each cell, kind, date and capture time."""
    rank = tuple(name if v == name else _share(shared, v) for v in s.rank)
    return Seen(
        name,
        s.sha256,
        _share(shared, s.kind),
        _share(shared, s.group),
        rank,
        _share(shared, s.revised),
        _share(shared, s.captured_at),
    )


def _keep_axis(kept: list[tuple[str, int, Axis]], found: tuple[str, int, Axis]) -> None:
    """Of one axis's labels, only those `merge_axes` can choose from (in capture-name order, it takes
    the first, unless a later one has the description it lacks): the first, and the first described."""
    candidates = sorted([*kept, found])
    first = candidates[0]
    described = next((c for c in candidates if c[2].description), None)
    kept[:] = sorted({first[:2]: first, **({described[:2]: described} if described else {})}.values())
