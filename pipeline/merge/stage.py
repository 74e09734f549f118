"""Merge stage: interim/structure (+ its index's facts) → interim/merge/{cells,documents,axes,notes,captures}.json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.merge import facts, revisions
from pipeline.merge.fold import merge_axes, merge_cell, merge_document, ranked_groups
from pipeline.model import Cell, Document, Page, from_json, to_json, to_pretty_json
from pipeline.runtime import incremental, parts
from pipeline.runtime.atomic import write_text_atomic
from pipeline.runtime.orchestrator import Paths, parts_of
from pipeline.runtime.tasks import output_path


def merge_stage(paths: Paths) -> None:
    """Ranks every capture from the facts the structure stage indexed (no page is read for that), then
    folds each cell's (and document's) captures, best first, loading one page at a time: memory holds
    one page whatever the corpus size. A group whose captures are unchanged since the last run is
    taken from that run's output (merge's index keeps each group's key and notes)."""
    source, folder = paths.stage("structure"), paths.stage("merge")
    source_index = incremental.require(source)
    found = sorted(
        ((name, facts.read(values)) for entry in source_index.values() for name, values in entry["facts"].items()),
        key=lambda item: item[0],
    )
    candidates = [f.seen for _, f in found if f.seen]
    load = _page_loader(source, source_index)
    previous, index, notes = incremental.load(folder), {}, {}
    earlier = _earlier_groups(folder) if previous else {}
    merged: dict[str, list] = {"cell": [], "document": []}
    for kind in merged:
        for group, ranked in ranked_groups([s for s in candidates if s.kind == kind]):
            key = incremental.key(kind, group, [(s.capture, s.sha256) for s in ranked])
            if previous.get(group, {}).get("key") == key and group in earlier:
                result, group_notes = earlier[group], previous[group]["notes"]
            elif kind == "cell":
                result, group_notes = merge_cell(group, ranked, load)
            else:
                result, group_notes = merge_document(group, ranked, load), {}
            merged[kind].append(result)
            index[group] = {"key": key, "notes": group_notes}
            notes.update(group_notes)
    axes = merge_axes([axis for _, f in found for axis in f.axes])
    folder.mkdir(parents=True, exist_ok=True)
    # the index goes before the outputs change, so a run cut short cannot leave one that vouches for them
    (folder / incremental.INDEX).unlink(missing_ok=True)
    for name, records in (("cells", merged["cell"]), ("documents", merged["document"]), ("axes", axes)):
        write_text_atomic(folder / f"{name}.json", "[\n" + ",\n".join(to_json(r) for r in records) + "\n]\n")
    write_text_atomic(folder / "notes.json", to_pretty_json(notes))
    write_text_atomic(folder / "captures.json", to_pretty_json([f.described for _, f in found]))
    history = revisions.history(
        {n: f.captured_at for n, f in found}, [s for s in candidates if s.kind == "cell"], load, folder
    )
    write_text_atomic(folder / revisions.FILE, to_json(history))
    incremental.save(folder, index)


def _earlier_groups(folder: Path) -> dict[str, Cell | Document]:
    """The last run's cells and documents by id (none when it left no readable output)."""
    try:
        return {
            **{c.page.cell_id: c for c in read_list(folder / "cells.json", Cell)},
            **{d.document_id: d for d in read_list(folder / "documents.json", Document)},
        }
    except (OSError, ValueError):
        return {}


def _page_loader(folder: Path, index: dict[str, dict]) -> Callable[[str], Page]:
    if parts_of(index):
        rows = parts.Rows(folder)
        return lambda name: from_json(Page, rows.record(name))
    return lambda name: from_json(Page, output_path(folder, name).read_bytes())


def read_list(path: Path, tp: type) -> list:
    return from_json(list[tp], path.read_bytes())
