"""Merge stage: every capture of one cell becomes one cell.

A cell's captures are grouped into revisions (`revision_groups`, which the history tables use too),
and only the current revision's captures are folded, best first (a dated capture before an undated
one, then the newest capture, then the most complete): the best is the base, and each field it lacks
is taken from the next capture of that revision that has it: lost tag letters, hrefs the text copy
never had, entries past the point where a capture was cut off, the bite. A capture of an older
revision is set aside, and the report says so.
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import msgspec

from pipeline.merge.listings import same_entry, same_listing, same_work
from pipeline.model import AnalysisPage, Axis, Cell, CellPage, Document, Entry, Page, copied
from pipeline.runtime.ids import stable_id
from pipeline.site import matrix

DatedBy = Literal["page", "capture", "none"]


def _links(page: CellPage) -> int:
    return sum(_links_in(e) for e in page.entries)


def _links_in(entry: Entry) -> int:
    """The entry's links that lead somewhere."""
    return sum(1 for s in entry.body.spans if s.kind == "link" and s.href)


@dataclass(frozen=True, slots=True)
class Seen:
    """What ranking needs of one capture, without its content: merging a corpus holds only these in
    memory, and loads the captures of one cell (or document) one at a time, best first."""

    capture: str
    sha256: str
    kind: str  # "cell" | "document"
    group: str  # cell id, or document id
    rank: tuple
    revised: str | None = None
    captured_at: str | None = None  # an undated capture's revision is found by its capture day


def seen(page: Page) -> Seen | None:
    """The capture as a candidate for its cell or its document; None when it is neither."""
    if page.errors:
        return None
    if page.cell:
        cell = page.cell
        rank = (
            -(int(cell.last_revised.replace("-", "")) if cell.last_revised else 0),
            "".join(chr(0x10FFFF - ord(ch)) for ch in (page.captured_at or "")),
            cell.truncated,
            -len(cell.entries),
            -_links(cell),
            -len(cell.bite),
            page.capture,
        )
        return Seen(page.capture, page.sha256, "cell", cell.cell_id, rank, cell.last_revised, page.captured_at)
    if page.analysis and page.analysis.title:
        a = page.analysis
        return Seen(
            page.capture,
            page.sha256,
            "document",
            document_id(a),
            (a.cut_off, -len(a.sections), -len(a.related), page.capture),
        )
    return None


@dataclass(frozen=True)
class Merged:
    """One cell or document made from its ranked captures, with the notes on each capture."""

    kind: str  # "cell" | "document"
    group: str
    ranked: list[Seen]
    result: Cell | Document | msgspec.Raw  # Raw: an earlier run's, reused as the JSON it was written as
    notes: dict[str, list[str]]


def ranked_groups(candidates: list[Seen]) -> list[tuple[str, list[Seen]]]:
    """Each cell's (or document's) candidates, best first, in id order."""
    groups: dict[str, list[Seen]] = defaultdict(list)
    for s in candidates:
        groups[s.group].append(s)
    return [(group, sorted(groups[group], key=lambda s: s.rank)) for group in sorted(groups)]


class Listing(msgspec.Struct):
    """What `revision_groups` reads of an undated capture to place it: its entries, decoded alone (a
    third of a page's decoding: the bite and the rest are never built)."""

    entries: list[Entry]


class Listed(msgspec.Struct):
    """A structured record read for its `Listing` only."""

    cell: Listing | None = None


Lister = Callable[[str], Listing | CellPage | None]  # a capture's listing, by capture name


class Folds:
    """Each set of a cell's captures folded, and grouped into revisions, once: merge folds a cell's
    revisions from all its captures, and the history's latest state of that cell is made of the same
    captures. `base`: folds to take from but not to add to (a history keeps its own per cell, so that
    the states of earlier refreshes are not all held at once)."""

    def __init__(self, load: Callable[[str], Page], base: Folds | None = None, listed: Lister | None = None) -> None:
        self.load, self.base = load, base
        self.listed: Lister = listed or (base.listed if base else lambda name: load(name).cell)
        self._folded: dict[tuple[str, ...], tuple[Cell, dict[str, list[str]]]] = {}
        self._grouped: dict[tuple[str, ...], list[RevisionGroup]] = {}

    def fold(self, cell_id: str, group: list[Seen]) -> tuple[Cell, dict[str, list[str]]]:
        """The fold of these captures (best first), carried on from the longest first part already folded."""
        names = (cell_id, *(s.capture for s in group))
        if self.base and names in self.base._folded:
            return self.base._folded[names]
        if names not in self._folded:
            known = [*(self.base._folded.items() if self.base else ()), *self._folded.items()]
            starts = [(len(key) - 1, *found) for key, found in known if names[: len(key)] == key]
            start = max(starts, key=lambda found: found[0], default=None)
            self._folded[names] = fold_revision(cell_id, group, self.load, start)
        return self._folded[names]

    def revisions(self, cell_id: str, ranked: list[Seen]) -> list[RevisionGroup]:
        """`revision_groups` of these captures (best first)."""
        names = (cell_id, *(s.capture for s in ranked))
        if self.base and names in self.base._grouped:
            return self.base._grouped[names]
        if names not in self._grouped:
            self._grouped[names] = revision_groups(ranked, self.listed, lambda g: self.fold(cell_id, g)[0].page)
        return self._grouped[names]


def merge_cell(cell_id: str, ranked: list[Seen], folds: Folds) -> tuple[Cell, dict[str, list[str]]]:
    """One cell from the captures (best first) of its current revision, the one the history calls
    current; the captures of older revisions are superseded. Notes name only these captures."""
    *older, current = folds.revisions(cell_id, ranked)
    cell, folded_notes = folds.fold(cell_id, current.captures)
    notes = {name: list(found) for name, found in folded_notes.items()}  # the fold's own stay as folded
    newest = f"{_dated(current)} in {current.captures[0].capture}"
    for group in older:
        for s in group.captures:
            notes.setdefault(s.capture, []).append(f"superseded: {cell_id} {_dated(group)} in this capture, {newest}")
    return cell, notes


def fold_revision(
    cell_id: str,
    ranked: list[Seen],
    load: Callable[[str], Page],
    before: tuple[int, Cell, dict[str, list[str]]] | None = None,
) -> tuple[Cell, dict[str, list[str]]]:
    """One revision of a cell from its captures, best first; a capture identical to a better one is
    counted once. `before`: (k, cell, notes), the fold of the first k captures of `ranked`, which is
    carried on rather than folded again (a fold is a left fold: its first k captures fold alone to it)."""
    k, earlier = (before[0], before[2]) if before else (0, {})
    notes: dict[str, list[str]] = defaultdict(list, {c: list(found) for c, found in earlier.items()})
    seen_sha, unique = set(), []
    for n, s in enumerate(ranked):
        if s.sha256 in seen_sha:
            if n >= k:
                notes[s.capture].append(f"identical to another capture of {cell_id}; counted once")
            continue
        seen_sha.add(s.sha256)
        unique.append(s.capture)
    if not before:
        notes[unique[0]].append(f"base of {cell_id}: every field not noted as taken from another capture")
    start = {s.capture for s in ranked[:k]}
    pages = ((_cell_page(load(n)), n) for n in unique if n not in start)
    folded = _combine(itertools.chain([(before[1].page, "")], pages) if before else pages, notes)
    return Cell(page=folded, sources=sorted(unique)), dict(notes)


def _cell_page(page: Page) -> CellPage:
    """A ranked capture of a cell always holds one (ranking takes only pages that do)."""
    assert page.cell is not None, page.capture
    return page.cell


@dataclass(frozen=True)
class RevisionGroup:
    """The captures of one revision of a cell, best first."""

    date: str | None  # the page's "Last revised" date, else the capture day; None when neither is known
    dated_by: DatedBy
    captures: list[Seen]


def revision_groups(ranked: list[Seen], listed: Lister, fold: Callable[[list[Seen]], CellPage]) -> list[RevisionGroup]:
    """A cell's captures (best first) as its revisions, oldest first: the last is the current one.

    Grouped by the page's "Last revised" date. A capture without one (a page beginning, cut off before
    the foot) joins the latest dated revision on or before its capture day when every entry it lists
    stands at the same place in that revision's list (as `fold` folds its dated captures) as far as it
    goes; otherwise it is a revision of its own, dated by its capture day."""
    dated: dict[str, list[Seen]] = defaultdict(list)
    for s in ranked:
        if s.revised:
            dated[s.revised].append(s)
    shown: dict[str, CellPage] = {}  # each date's dated captures alone, so no join sways another
    joined: dict[str, list[Seen]] = defaultdict(list)
    own: dict[str | None, list[Seen]] = defaultdict(list)
    for s in ranked:
        if s.revised:
            continue
        at = capture_time(s.captured_at)
        day = at.date().isoformat() if at else None
        home = max((d for d in dated if day is None or d <= day), default=None)
        if home and home not in shown:
            shown[home] = fold(dated[home])
        if home and (listing := listed(s.capture)) and _agrees(listing, shown[home]):
            joined[home].append(s)
        else:
            own[day].append(s)
    groups = [RevisionGroup(d, "page", sorted(g + joined[d], key=lambda s: s.rank)) for d, g in dated.items()]
    groups += [RevisionGroup(d, "capture" if d else "none", g) for d, g in own.items()]
    return sorted(groups, key=lambda g: (g.date is None, g.date or "", g.dated_by))


def _agrees(capture: Listing | CellPage, revision: CellPage) -> bool:
    """Every entry of `capture` is, as far as it goes, the one at its place in `revision`."""
    if len(capture.entries) > len(revision.entries) and not revision.truncated:
        return False
    return all(same_work(a, b) and same_listing(a, b) for a, b in zip(capture.entries, revision.entries))


def _dated(group: RevisionGroup) -> str:
    if group.dated_by == "page":
        return f"last revised {group.date}"
    return f"undated, captured {group.date}" if group.date else "undated, capture time unknown"


def capture_time(captured_at: str | None) -> datetime | None:
    """A capture time in UTC (a time without a zone is taken as UTC); None when missing or unreadable."""
    try:
        found = datetime.fromisoformat(captured_at) if captured_at else None
    except ValueError:
        return None
    return found.replace(tzinfo=found.tzinfo or UTC).astimezone(UTC) if found else None


def _combine(pages: Iterator[tuple[CellPage, str]], notes: dict[str, list[str]]) -> CellPage:
    """Fold the captures of one cell, best first, into one; only the base and one other are held."""
    first, _ = next(pages)
    base = copied(first)
    for other, name in pages:
        for attr in ("description", "last_revised", "first_uploaded", "more"):
            if getattr(base, attr) is None and getattr(other, attr) is not None:
                setattr(base, attr, copy.deepcopy(getattr(other, attr)))
                notes[name].append(f"{attr} taken from this capture")
        for axis in ("column", "row"):
            if axis not in base.labels_printed and axis in other.labels_printed:
                setattr(base, f"{axis}_label", getattr(other, f"{axis}_label"))
                base.labels_printed.append(axis)
        if len(other.bite) > len(base.bite):
            base.bite = copy.deepcopy(other.bite)
            notes[name].append("bite taken from this capture")
        base.entries = _reconcile(base.entries, other.entries, base.truncated, name, notes)
        base.truncated = base.truncated and other.truncated
    for n, entry in enumerate(base.entries, start=1):
        entry.position = n
    return base


def _reconcile(
    base: list[Entry], other: list[Entry], base_truncated: bool, name: str, notes: dict[str, list[str]]
) -> list[Entry]:
    merged = list(base)  # base's entries are already the fold's own copies: change them in place
    used: set[int] = set()
    for entry in merged:
        match = next((j for j, o in enumerate(other) if j not in used and same_entry(entry, o)), None)
        if match is None:
            continue
        used.add(match)
        o = other[match]
        if entry.types_inferred and not o.types_inferred:
            entry.types, entry.types_inferred = list(o.types), False
            notes[name].append(f"tag letters of {entry.title!r} taken from this capture")
        if not o.cut_off and (entry.cut_off or _links_in(o) > _links_in(entry)):  # whole, or with more links
            for attr in ("title", "reference", "annotation", "body", "cut_off", "line", "capture"):
                setattr(entry, attr, copy.deepcopy(getattr(o, attr)))
    if base_truncated:
        for j, o in enumerate(other):
            if j not in used and j > max(used, default=-1):
                merged.append(copy.deepcopy(o))
                notes[name].append(f"entry {o.title!r} (missing where another capture was cut off) taken from here")
    return merged


def document_id(page: AnalysisPage) -> str:
    """Same title and year, same document, whichever capture or format it came from."""
    return f"doc-{stable_id(' '.join((page.title or '').lower().split()), page.year)}"


def merge_document(doc_id: str, ranked: list[Seen], load: Callable[[str], Page]) -> Document:
    """One document from its captures, best first, loaded one at a time."""
    names = [s.capture for s in ranked]
    base, url = None, None
    for page in map(load, names):
        if base is None:
            base = copied(page.analysis)
        for attr in (
            "authors",
            "source",
            "year",
            "summary",
            "commentary",
            "last_revised",
            "first_uploaded",
            "doc_kind",
        ):
            if getattr(base, attr) is None:
                setattr(base, attr, copy.deepcopy(getattr(page.analysis, attr)))
        url = url or page.url
    assert base is not None, doc_id  # ranking takes only pages with an analysis
    return Document(doc_id, base, url, sorted(names))


def merge_axes(axes: list[Axis]) -> list[Axis]:
    """Each matrix's columns and rows: as the overview and row pages label them (pages in capture name
    order), else the site's own."""
    found: dict[tuple[str, str, str], Axis] = {}
    for axis in axes:
        key = (axis.matrix, axis.axis, axis.code)
        if key not in found or (found[key].description is None and axis.description):
            found[key] = axis
    for name in matrix.MATRICES:
        for code, label in matrix.COLUMNS.items():
            found.setdefault((name, "column", code), Axis(name, "column", code, label, None))
        for number, row_label in matrix.ROWS[name].items():
            found.setdefault((name, "row", str(number)), Axis(name, "row", str(number), row_label, None))
    return [found[k] for k in sorted(found)]
