"""The history tables: cell_revisions, entry_history (slowly changing, as dlt's scd2), changes, runs.
Pure: no I/O, no clock.

A work keeps its identity across a cell's revisions when its listings match: first by the same title
and year or the same address, then as merge and works.py match entries (`same_work`). In a revision
every capture of which is cut off, a work it does not list is *unknown*, never removed: its interval
stays open and the revision is named in `unknown_in`; a change is told between the last revision that
showed the work and the next one that does (or that shows it gone).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec

from pipeline.merge.listings import address, differences, same_work
from pipeline.merge.revisions import CellHistory, History, Revision
from pipeline.model import Entry
from pipeline.publish.schemas import KEYS
from pipeline.publish.works import normalise
from pipeline.runtime.ids import stable_id

HISTORY_TABLES = ("cell_revisions", "entry_history", "changes")
COUNTED = ("added", "changed", "removed")


@dataclass
class _Interval:
    work: str
    start: int  # revision numbers, 1-based
    listing: Entry
    unknown: list[int] = field(default_factory=list)


class CellTables(msgspec.Struct):
    """One cell's history tables after its last refresh, and the rows of them each refresh added,
    changed and removed (refresh number → counter name → rows): all `history_tables` needs of a cell."""

    tables: dict[str, list[dict[str, Any]]]
    counts: dict[int, dict[str, int]]


PerCell = Callable[[CellHistory, dict[str, int]], CellTables]  # (cell, capture → refresh number) → its tables


def cell_tables(cell: CellHistory, refresh_of: dict[str, int]) -> CellTables:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    tables = _count_cell(cell, refresh_of, counts)
    return CellTables(tables, {n: dict(found) for n, found in counts.items()})


def history_tables(history: History, per_cell: PerCell = cell_tables) -> dict[str, list[dict]]:
    """Every table the history gives, from each cell's revisions after the last refresh; each cell's
    own tables from `per_cell` (publish's reuses those of a cell whose history did not change)."""
    refresh_of = {name: r.number for r in history.refreshes for name in r.captures}
    tables: dict[str, list[dict]] = {name: [] for name in HISTORY_TABLES}
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for cell in history.cells:
        made = per_cell(cell, refresh_of)
        for name, rows in made.tables.items():
            tables[name] += rows
        for number, found in made.counts.items():
            counts[number].update(found)
    tables["runs"] = _runs(history, counts)
    return tables


def _cell_tables(cell_id: str, revisions: list[Revision], refresh_of: dict[str, int]) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {
        "cell_revisions": [
            _revision_row(cell_id, n, r, n == len(revisions), refresh_of) for n, r in _numbered(revisions)
        ]
    }
    listed = _works(cell_id, revisions)
    tables["entry_history"], tables["changes"] = [], []
    when = {n: _date(r.date) for n, r in _numbered(revisions)}
    for work in sorted({w for by_work in listed for w in by_work}):
        open_, seen, absent = None, None, None
        for n, revision in _numbered(revisions):
            entry = listed[n - 1].get(work)
            if entry is None and revision.truncated:
                if open_:
                    open_.unknown.append(n)
                continue
            if entry is None:
                if open_:
                    tables["entry_history"].append(_history_row(cell_id, open_, n, when))
                    tables["changes"].append(
                        _change(cell_id, work, "removed", seen, n, when, open_.listing.title, None)
                    )
                open_, absent = None, n
                continue
            if open_ is None:
                if absent is not None:
                    tables["changes"].append(_change(cell_id, work, "added", absent, n, when, None, entry.title))
                open_ = _Interval(work, n, entry)
            elif found := differences(open_.listing, entry):
                for kind in found:
                    before, after = (_shown(kind, e) for e in (open_.listing, entry))
                    tables["changes"].append(_change(cell_id, work, kind, seen, n, when, before, after))
                tables["entry_history"].append(_history_row(cell_id, open_, n, when))
                open_ = _Interval(work, n, entry)
            elif _completeness(entry) > _completeness(open_.listing):
                open_.listing = entry  # the same listing, seen in full
            seen = n
        if open_:
            tables["entry_history"].append(_history_row(cell_id, open_, None, when))
    return tables


def _numbered(revisions: list[Revision]) -> list[tuple[int, Revision]]:
    return list(enumerate(revisions, start=1))


def _completeness(e: Entry) -> tuple[bool, bool]:
    return not e.cut_off, not e.types_inferred


def _exact(e: Entry) -> list[tuple]:
    """What a listing shares with an exact match of it: its title and year, or its address."""
    shared: list[tuple] = [("title", normalise(e.title), e.reference.year if e.reference else None)]
    if (href := address(e)) is not None:
        shared.append(("href", href))
    return shared


def _works(cell_id: str, revisions: list[Revision]) -> list[dict[str, Entry]]:
    """Per revision, work key → its listing there. Exact matches are taken first, so a near match never
    takes a work from the entry that lists it unchanged."""
    works: list[tuple[str, list[Entry]]] = []
    exact: dict[tuple, list[int]] = defaultdict(list)  # the works with a listing of that title and year, or address
    keys: Counter[str] = Counter()
    found = []
    for revision in revisions:
        taken: dict[int, int] = {}
        claimed: set[int] = set()
        for i, entry in enumerate(revision.entries):
            first = min((w for k in _exact(entry) for w in exact.get(k, ()) if w not in claimed), default=None)
            if first is not None:
                taken[i] = first
                claimed.add(first)
        _claim(revision.entries, works, taken, claimed)
        listed = {}
        for i, entry in enumerate(revision.entries):
            if i not in taken:
                base = normalise(entry.title), entry.reference.year if entry.reference else None
                keys[str(base)] += 1
                works.append((f"{cell_id}-{stable_id(*base, keys[str(base)])}", []))
                taken[i] = len(works) - 1
            works[taken[i]][1].append(entry)
            for k in _exact(entry):
                exact[k].append(taken[i])
            listed[works[taken[i]][0]] = entry
        found.append(listed)
    return found


def _claim(
    entries: list[Entry], works: list[tuple[str, list[Entry]]], taken: dict[int, int], claimed: set[int]
) -> None:
    """Each entry not yet taken takes the first work not yet claimed that has a listing of the same work."""
    for i, entry in enumerate(entries):
        if i in taken:
            continue
        free = (w for w in range(len(works)) if w not in claimed)
        match = next((w for w in free if any(same_work(old, entry) for old in works[w][1])), None)
        if match is not None:
            taken[i] = match
            claimed.add(match)


def _shown(kind: str, e: Entry) -> str:
    if kind == "retagged":
        return " ".join(e.types)
    return e.title if kind == "retitled" else e.annotation


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _revision_row(cell_id: str, n: int, r: Revision, current: bool, refresh_of: dict[str, int]) -> dict:
    return {
        "cell_id": cell_id,
        "revision": n,
        "revised": _date(r.date),
        "dated_by": r.dated_by,
        "first_uploaded": _date(r.first_uploaded),
        "captures": list(r.captures),
        "entry_count": len(r.entries),
        "truncated": r.truncated,
        "refresh": min(refresh_of[c] for c in r.captures),
        "is_current": current,
    }


def _history_row(cell_id: str, interval: _Interval, end: int | None, when: dict[int, date | None]) -> dict:
    """`end`: the revision that ended the interval; None while it is current."""
    last = max(when)
    e = interval.listing
    return {
        "cell_id": cell_id,
        "work_key": interval.work,
        "from_revision": interval.start,
        "last_revision": (end or last + 1) - 1,
        "valid_from": when[interval.start],
        "valid_to": when[end] if end else None,
        "is_current": end is None,
        "unknown_in": list(interval.unknown),
        "position": e.position,
        "types": list(e.types),
        "title": e.title,
        "year": e.reference.year if e.reference else None,
        "annotation": e.annotation,
        "href": address(e),
        "cut_off": e.cut_off,
    }


def _change(
    cell_id: str,
    work: str,
    kind: str,
    start: int | None,
    end: int,
    when: dict[int, date | None],
    before: str | None,
    after: str | None,
) -> dict:
    return {
        "cell_id": cell_id,
        "work_key": work,
        "change": kind,
        "from_revision": start,
        "to_revision": end,
        "from_date": when[start] if start else None,
        "to_date": when[end],
        "before": before,
        "after": after,
    }


def _rows(tables: dict[str, list[dict]]) -> dict[str, dict[tuple, tuple]]:
    """Each table's rows by key."""
    return {
        name: {
            tuple(row[k] for k in KEYS[name]): tuple(
                (k, tuple(v) if isinstance(v, list) else v) for k, v in row.items()
            )
            for row in rows
        }
        for name, rows in tables.items()
    }


def _runs(history: History, counts: dict[int, Counter[str]]) -> list[dict]:
    """Per refresh: the captures it brought, and the history rows (by key) it added, changed and
    removed, as `_count_cell` counted them."""
    return [
        {
            "refresh": r.number,
            "started": r.started,
            "ended": r.ended,
            "captures": list(r.captures),
            "capture_count": len(r.captures),
            "cells_changed": counts[r.number]["cells"],
            **{f"{name}_{how}": counts[r.number][f"{name}_{how}"] for name in HISTORY_TABLES for how in COUNTED},
        }
        for r in history.refreshes
    ]


def _count_cell(
    cell: CellHistory, refresh_of: dict[str, int], counts: dict[int, Counter[str]]
) -> dict[str, list[dict]]:
    """The cell's tables after its last refresh; into `counts`, the rows (by key) each refresh added,
    changed and removed: the cell's tables after it against its tables after the refresh before."""
    before: dict[str, dict[tuple, tuple]] = {name: {} for name in HISTORY_TABLES}
    tables: dict[str, list[dict]] = {}
    for state in cell.states:
        tables = _cell_tables(cell.cell_id, state.revisions, refresh_of)
        after = _rows(tables)
        for name in HISTORY_TABLES:
            old, new = before[name], after[name]
            found = counts[state.refresh]
            found[f"{name}_added"] += len(new.keys() - old.keys())
            found[f"{name}_changed"] += sum(old[k] != new[k] for k in new.keys() & old.keys())
            found[f"{name}_removed"] += len(old.keys() - new.keys())
        counts[state.refresh]["cells"] += after != before
        before = after
    return tables
