"""Merge's folding, a cell or a document at a time.

Each cell (its current revision and its history) and each document is folded from its own captures
alone, so the pieces can run on the run's workers (`Context.spread`) and come back in order, as the
JSON merge writes: the process that merges never decodes a page, and the output is the same wherever
the pieces ran. A piece loads its captures one at a time from structure's records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import msgspec

from pipeline.merge.fold import Folds, Lister, Merged, Seen, merge_cell, merge_document, ranked_groups
from pipeline.merge.revisions import CellHistory, Planned, Written, cell_history, plan
from pipeline.model import Page, to_json_bytes
from pipeline.runtime.context import Spread, in_process

# Opens the structured records in the process that folds: (a page by capture name, its listing alone or
# None to take it from the page). A module-level callable or a picklable object, to reach a worker.
Pages = Callable[[], tuple[Callable[[str], Page], Lister | None]]
# (kind, group, its captures best first) → an earlier run's result and notes for an unchanged group, or None
Reuse = Callable[[str, str, list[Seen]], tuple[msgspec.Raw, dict[str, list[str]]] | None]


@dataclass(frozen=True, slots=True)
class Piece:
    kind: Literal["cell", "document"]
    group: str
    ranked: list[Seen]  # its captures, best first
    fold: bool  # its result is made (False: an earlier run's is taken)
    history: Planned | None = None  # a cell whose history is made again


@dataclass(frozen=True, slots=True)
class Folded:
    """A piece as folded: the JSON of its result (None: not asked for) and of its history, its notes."""

    result: bytes | None
    notes: dict[str, list[str]]
    history: bytes | None


def merge_all(
    candidates: list[Seen],
    captured: dict[str, str | None],
    pages: Pages,
    *,
    reuse: Reuse | None = None,
    folder: Path | None = None,
    structured: dict[str, str] | None = None,
    spread: Spread = in_process,
) -> tuple[list[Merged], Written]:
    """Every cell, then every document, in id order, each folded from its captures best first (or
    handed back by `reuse`), and every cell's history (`folder`, `structured`: `revisions.plan`'s);
    the folding is `spread` a batch of pieces at a time."""
    cells = [s for s in candidates if s.kind == "cell"]
    refreshes, planned = plan(captured, cells, folder, structured)
    kinds: tuple[Literal["cell", "document"], ...] = ("cell", "document")
    groups = [
        (kind, group, ranked)
        for kind in kinds
        for group, ranked in ranked_groups(cells if kind == "cell" else [s for s in candidates if s.kind == kind])
    ]
    reused = [reuse(*g) if reuse else None for g in groups]
    pieces = [
        Piece(kind, group, ranked, found is None, p if isinstance(p := planned.get(group), Planned) else None)
        for (kind, group, ranked), found in zip(groups, reused)
    ]
    todo = [n for n, piece in enumerate(pieces) if piece.fold or piece.history]
    folded = dict(zip(todo, spread(partial(fold_pieces, pages), [pieces[n] for n in todo])))
    merged: list[Merged] = []
    histories: list[CellHistory | msgspec.Raw] = []
    for n, ((kind, group, ranked), found) in enumerate(zip(groups, reused)):
        made = folded.get(n)
        if found is None:
            assert made is not None and made.result is not None
            found = msgspec.Raw(made.result), made.notes
        merged.append(Merged(kind, group, ranked, *found))
        if kind == "cell":
            was = planned[group]
            if isinstance(was, Planned):
                assert made is not None and made.history is not None
                was = msgspec.Raw(made.history)
            histories.append(was)
    return merged, Written(refreshes, histories)


def fold_pieces(pages: Pages, pieces: Sequence[Piece]) -> list[Folded]:
    """What a worker runs: each piece folded, in order."""
    load, listed = pages()
    return [_fold(piece, load, listed) for piece in pieces]


def _fold(piece: Piece, load: Callable[[str], Page], listed: Lister | None) -> Folded:
    if piece.kind == "document":
        return Folded(to_json_bytes(merge_document(piece.group, piece.ranked, load)), {}, None)
    folds = Folds(load, listed=listed)  # the cell's current revision and its history's last state: folded once
    result, notes = merge_cell(piece.group, piece.ranked, folds) if piece.fold else (None, {})
    history = cell_history(piece.group, piece.history, piece.ranked, folds) if piece.history else None
    return Folded(
        None if result is None else to_json_bytes(result), notes, None if history is None else to_json_bytes(history)
    )
