"""Every revision of every cell, each folded from its own captures, as the corpus stood after each refresh.

Merge keeps only a cell's newest revision; the history tables need them all. Captures of one cell are
grouped into revisions by the page's "Last revised" date. A capture without one (a page beginning, cut
off before the foot) joins the latest dated revision on or before its capture date when every entry
it lists stands at the same place in that revision's list as far as it goes; otherwise it is a
revision of its own, dated by its capture. Each revision's captures are folded with merge's own fold.

A refresh is a batch of captures by capture time (manifest `captured_at` or WARC-Date): sorted by
time, a capture more than `REFRESH_GAP` after the one before starts a new refresh; captures with no
capture time form the first. For each refresh that brought captures of a cell, the cell's revisions
are folded again from its captures up to that refresh, so `runs` can say what each refresh changed.
Everything depends only on the set of captures, never on the order they were read or fetched in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pipeline.merge.fold import Seen, merge_cell, same_entry
from pipeline.model import CellPage, Entry, Page, from_json
from pipeline.publish.works import WorkKey, match, normalise
from pipeline.runtime import incremental

REFRESH_GAP = timedelta(hours=6)  # a crawl paces its requests; a pause this long means a later refresh
FILE = "revisions.json"
DatedBy = Literal["page", "capture", "none"]


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
    key: str  # its captures, their hashes and capture times, and how refreshes split them
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


def _time(captured_at: str | None) -> datetime | None:
    """A capture time in UTC (a time without a zone is taken as UTC); None when missing or unreadable."""
    try:
        found = datetime.fromisoformat(captured_at) if captured_at else None
    except ValueError:
        return None
    return found.replace(tzinfo=found.tzinfo or UTC).astimezone(UTC) if found else None


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def refreshes(captured: dict[str, str | None]) -> list[Refresh]:
    """capture → capture time, batched into refreshes (see the module's docstring)."""
    undated = sorted(name for name, at in captured.items() if _time(at) is None)
    timed = sorted((at, name) for name, value in captured.items() if (at := _time(value)) is not None)
    batches: list[list[tuple[datetime, str]]] = []
    for at, name in timed:
        if not batches or at - batches[-1][-1][0] > REFRESH_GAP:
            batches.append([])
        batches[-1].append((at, name))
    found = [Refresh(1, None, None, undated)] if undated else []
    for batch in batches:
        found.append(Refresh(len(found) + 1, _iso(batch[0][0]), _iso(batch[-1][0]), sorted(n for _, n in batch)))
    return found


def history(
    captured: dict[str, str | None],
    candidates: list[Seen],
    load: Callable[[str], Page],
    folder: Path | None = None,
) -> History:
    """Every cell's revisions after each refresh. `captured`: every capture's capture time; `candidates`:
    the cells' captures as merge ranks them. A cell whose captures and refreshes are as in the history
    last written to `folder` is taken from it."""
    batches = refreshes(captured)
    refresh_of = {name: r.number for r in batches for name in r.captures}
    earlier = _earlier(folder)
    by_cell: dict[str, list[Seen]] = defaultdict(list)
    for s in candidates:
        by_cell[s.group].append(s)
    cells = []
    for cell_id in sorted(by_cell):
        seen = sorted(by_cell[cell_id], key=lambda s: s.rank)
        key = incremental.key(
            "merge",
            FILE,
            cell_id,
            sorted((s.capture, s.sha256, captured.get(s.capture), refresh_of[s.capture]) for s in seen),
        )
        if cell_id in earlier and earlier[cell_id].key == key:
            cells.append(earlier[cell_id])
            continue
        folds: dict[tuple[str, ...], CellPage] = {}
        states = [
            CellState(n, _revisions(cell_id, [s for s in seen if refresh_of[s.capture] <= n], captured, load, folds))
            for n in sorted({refresh_of[s.capture] for s in seen})
        ]
        cells.append(CellHistory(cell_id, key, states))
    return History(batches, cells)


def _earlier(folder: Path | None) -> dict[str, CellHistory]:
    try:
        return {c.cell_id: c for c in from_json(History, (folder / FILE).read_bytes()).cells} if folder else {}
    except (OSError, ValueError):
        return {}


def _revisions(
    cell_id: str,
    seen: list[Seen],
    captured: dict[str, str | None],
    load: Callable[[str], Page],
    folds: dict[tuple[str, ...], CellPage],
) -> list[Revision]:
    """The cell's revisions shown by `seen` (best first), oldest first."""

    def fold(group: list[Seen]) -> CellPage:
        names = tuple(s.capture for s in group)
        if names not in folds:
            folds[names] = merge_cell(cell_id, group, load)[0].page
        return folds[names]

    dated: dict[str, list[Seen]] = defaultdict(list)
    for s in seen:
        if s.revised:
            dated[s.revised].append(s)
    shown = {d: fold(group) for d, group in dated.items()}  # by their dated captures alone, so no join sways another
    own: dict[str | None, list[Seen]] = defaultdict(list)
    for s in seen:
        if s.revised:
            continue
        at = _time(captured.get(s.capture))
        day = at.date().isoformat() if at else None
        home = max((d for d in shown if day is None or d <= day), default=None)
        if home and (listed := load(s.capture).cell) and _agrees(listed, shown[home]):
            dated[home].append(s)
        else:
            own[day].append(s)
    groups: list[tuple[DatedBy, str | None, list[Seen]]] = [("page", d, g) for d, g in dated.items()]
    groups += [("capture" if d else "none", d, g) for d, g in own.items()]
    found = []
    for dated_by, day, group in sorted(groups, key=lambda g: (g[1] is None, g[1] or "", g[0])):
        page = fold(sorted(group, key=lambda s: s.rank))
        captures = sorted(s.capture for s in group)
        found.append(Revision(day, dated_by, page.first_uploaded, captures, page.truncated, page.entries))
    return found


def _agrees(capture: CellPage, revision: CellPage) -> bool:
    """Every entry of `capture` is, as far as it goes, the one at its place in `revision`."""
    if len(capture.entries) > len(revision.entries) and not revision.truncated:
        return False
    return all(same_work(a, b) and same_listing(a, b) for a, b in zip(capture.entries, revision.entries))


def same_listing(a: Entry, b: Entry) -> bool:
    """Two listings of one work say the same, in what both show in full."""
    return not differences(a, b)


def differences(a: Entry, b: Entry) -> list[Literal["retitled", "retagged", "re-annotated"]]:
    """What changed from listing `a` to listing `b` of one work, in words (not case, quote style or
    spacing, which differ between copies of one page). Text cut off in either is not compared, nor tag
    letters inferred in either."""
    found: list[Literal["retitled", "retagged", "re-annotated"]] = []
    if not (a.cut_off or b.cut_off) and normalise(a.title) != normalise(b.title):
        found.append("retitled")
    if not (a.types_inferred or b.types_inferred) and a.types != b.types:
        found.append("retagged")
    if not (a.cut_off or b.cut_off) and normalise(a.annotation) != normalise(b.annotation):
        found.append("re-annotated")
    return found


def same_work(a: Entry, b: Entry) -> bool:
    """Two listings of one work in different revisions of a cell: the same entry as merge tells it
    (`same_entry`), or the same work as works.py tells it across cells (href, title, annotation)."""
    return same_entry(a, b) or match(_work_key(a), _work_key(b)) is not None


def address(e: Entry) -> str | None:
    """The address the entry's title links to; None for none, a placeholder or an in-page link, which
    name no work."""
    href = e.title_href
    return href if href and not href.startswith("#") else None


def _work_key(e: Entry) -> WorkKey:
    ref = e.reference
    return WorkKey(
        "", "", e.title, tuple(ref.years) if ref else (), ref.issuer if ref else None, e.annotation, address(e)
    )
