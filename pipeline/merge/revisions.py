"""Every revision of every cell, each folded from its own captures, as the corpus stood after each refresh.

Merge keeps only a cell's current revision; the history tables need them all. Captures of one cell are
grouped into revisions by merge's own grouping (`fold.revision_groups`, so both call the same revision
current), and each revision's captures are folded with merge's own fold.

A refresh is a batch of captures by capture time (manifest `captured_at` or WARC-Date): sorted by
time, a capture more than `REFRESH_GAP` after the one before starts a new refresh; captures with no
capture time form the first. For each refresh that brought captures of a cell, the cell's revisions
are folded again from its captures up to that refresh, so `runs` can say what each refresh changed.
Everything depends only on the set of captures, never on the order they were read or fetched in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from pipeline.merge.fold import DatedBy, Folds, Seen, capture_time
from pipeline.model import Entry, to_json_bytes
from pipeline.runtime import incremental
from pipeline.runtime.atomic import replacing

REFRESH_GAP = timedelta(hours=6)  # a crawl paces its requests; a pause this long means a later refresh
FILE = "revisions.json"


@dataclass
class Revision:
    """One revision of a cell: its captures folded into one entry list."""

    date: str | None  # the page's "Last revised" date, else the capture date; None when neither is known
    dated_by: DatedBy
    first_uploaded: str | None
    captures: list[str]  # every capture showing it, sorted
    truncated: bool  # every capture of it was cut off before the end of its entry list
    entries: list[Entry]


@dataclass
class CellState:
    """A cell's revisions as the captures of refreshes 1…`refresh` show them."""

    refresh: int
    revisions: list[Revision]


@dataclass
class CellHistory:
    cell_id: str
    key: str  # its captures, their hashes (raw and structured) and capture times, and how refreshes split them
    states: list[CellState]  # one per refresh that brought a capture of the cell, in order


@dataclass
class Refresh:
    number: int  # 1-based, in order of capture time
    started: str | None  # first and last capture time in it; None for captures with no time
    ended: str | None
    captures: list[str]  # every capture it brought (any kind), sorted


@dataclass
class History:
    refreshes: list[Refresh] = field(default_factory=list)
    cells: list[CellHistory] = field(default_factory=list)


@dataclass
class Written:
    """A `History` as merge writes it: a cell unchanged since the last run is the JSON it was written as."""

    refreshes: list[Refresh]
    cells: list[CellHistory | msgspec.Raw]


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def refreshes(captured: dict[str, str | None]) -> list[Refresh]:
    """capture → capture time, batched into refreshes (see the module's docstring)."""
    undated = sorted(name for name, at in captured.items() if capture_time(at) is None)
    timed = sorted((at, name) for name, value in captured.items() if (at := capture_time(value)) is not None)
    batches: list[list[tuple[datetime, str]]] = []
    for at, name in timed:
        if not batches or at - batches[-1][-1][0] > REFRESH_GAP:
            batches.append([])
        batches[-1].append((at, name))
    found = [Refresh(1, None, None, undated)] if undated else []
    for batch in batches:
        found.append(Refresh(len(found) + 1, _iso(batch[0][0]), _iso(batch[-1][0]), sorted(n for _, n in batch)))
    return found


@dataclass(frozen=True, slots=True)
class Planned:
    """A cell whose history is made again: its key, and the refresh that brought each of its captures."""

    key: str
    refresh_of: dict[str, int]


def plan(
    captured: dict[str, str | None],
    candidates: list[Seen],
    folder: Path | None = None,
    structured: dict[str, str] | None = None,
) -> tuple[list[Refresh], dict[str, Planned | msgspec.Raw]]:
    """The refreshes, and each cell's history: `Planned` to make again (`cell_history`), or the JSON the
    history last written to `folder` holds of it (never decoded) when its captures (their `structured`
    records' sha256, which new structure code changes) and refreshes are as they were then.
    `captured`: every capture's capture time; `candidates`: the cells' captures as merge ranks them."""
    digests = structured or {}
    batches = refreshes(captured)
    refresh_of = {name: r.number for r in batches for name in r.captures}
    earlier = _earlier(folder)
    by_cell: dict[str, list[Seen]] = defaultdict(list)
    for s in candidates:
        by_cell[s.group].append(s)
    cells: dict[str, Planned | msgspec.Raw] = {}
    for cell_id in sorted(by_cell):
        seen = by_cell[cell_id]
        key = incremental.key(
            "merge",
            FILE,
            cell_id,
            sorted(
                (s.capture, s.sha256, digests.get(s.capture), captured.get(s.capture), refresh_of[s.capture])
                for s in seen
            ),
        )
        if cell_id in earlier and earlier[cell_id][0] == key:
            cells[cell_id] = earlier[cell_id][1]
        else:
            cells[cell_id] = Planned(key, {s.capture: refresh_of[s.capture] for s in seen})
    return batches, cells


def cell_history(cell_id: str, planned: Planned, ranked: list[Seen], folds: Folds) -> CellHistory:
    """The cell's revisions after each refresh that brought a capture of it; `ranked`: its captures best
    first; `folds`: the cell's folds so far (merge folds its current revision from the same captures)."""
    states = [
        CellState(n, _revisions(cell_id, [s for s in ranked if planned.refresh_of[s.capture] <= n], folds))
        for n in sorted(set(planned.refresh_of.values()))
    ]
    return CellHistory(cell_id, planned.key, states)


def write(path: Path, written: Written) -> None:
    """`written` as revisions.json, the same bytes `model.to_json` gives, a cell at a time: the history
    of a large corpus (every capture named in its revisions) is never held encoded whole beside the
    cells it is made of."""
    with replacing(path) as staged, staged.open("wb") as out:
        out.write(b'{"cells":[')
        for n, cell in enumerate(written.cells):
            out.write((b"," if n else b"") + (bytes(cell) if isinstance(cell, msgspec.Raw) else to_json_bytes(cell)))
        out.write(b'],"refreshes":' + to_json_bytes(written.refreshes) + b"}")


class _Written(msgspec.Struct):
    cells: list[msgspec.Raw]


class _Keyed(msgspec.Struct):
    """What is read of a written `CellHistory` to know whether it can be taken as it is."""

    cell_id: str
    key: str


def _earlier(folder: Path | None) -> dict[str, tuple[str, msgspec.Raw]]:
    """The last history's cells by id: (key, the JSON it was written as)."""
    if folder is None:
        return {}
    try:
        found = {}
        for raw in msgspec.json.decode((folder / FILE).read_bytes(), type=_Written).cells:
            keyed = msgspec.json.decode(raw, type=_Keyed)
            found[keyed.cell_id] = (keyed.key, raw)
        return found
    except (OSError, ValueError):
        return {}


def _revisions(cell_id: str, seen: list[Seen], folds: Folds) -> list[Revision]:
    """The cell's revisions shown by `seen` (best first), oldest first."""
    found = []
    for group in folds.revisions(cell_id, seen):
        page = folds.fold(cell_id, group.captures)[0].page
        captures = sorted(s.capture for s in group.captures)
        found.append(Revision(group.date, group.dated_by, page.first_uploaded, captures, page.truncated, page.entries))
    return found
