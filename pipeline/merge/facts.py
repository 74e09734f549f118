"""What merging and the report need of one structured capture, taken as it is structured: the
structure stage keeps these in its index, so merge ranks the whole corpus without reading a page
and then loads only the pages it folds, one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

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
    """All merge keeps of the whole corpus, under 1 KB a capture: each capture's capture time and
    structured record's hash, the candidates and the axes (the report records went to a file)."""

    captured: dict[str, str | None]  # in capture-name order
    structured: dict[str, str]  # capture → sha256 of its structured record
    candidates: list[Seen]  # in capture-name order
    axes: list[Axis]
    parted: bool  # some structured records are kept in parts


def gather(index: dict[str, Indexed], described: BinaryIO) -> Corpus:
    """The index's facts in capture-name order; each capture's report record is written to
    `described` as it is in the index (a JSON list, one record a line), not kept."""
    found = sorted((name, held) for entry in index.values() for name, held in entry.facts.items())
    described.write(b"[\n")
    for n, (_, held) in enumerate(found):
        described.write(b",\n" + held.described if n else held.described)
    described.write(b"\n]\n")
    return Corpus(
        {name: held.captured_at for name, held in found},
        {name: digest for entry in index.values() for name, digest in entry.outputs.items()},
        [held.seen for _, held in found if held.seen],
        [axis for _, held in found for axis in held.axes],
        any(entry.part for entry in index.values()),
    )
