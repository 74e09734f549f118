"""What merging and the report need of one structured capture, taken as it is structured: the
structure stage keeps these in its index, so merge ranks the whole corpus without reading a page
and then loads only the pages it folds, one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

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


class Indexed(msgspec.Struct):
    """What merge reads of one unit of the structure stage's index: its outputs, their facts decoded
    straight into `Facts` (no generic dicts in between: a third of the memory), and its part."""

    outputs: dict[str, str]
    facts: dict[str, Facts] = {}
    part: str | None = None
