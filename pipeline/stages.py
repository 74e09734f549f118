"""The I/O edge: each stage reads the previous stage's files, runs the pure functions, writes its own.

interim/extract/*.json   Capture (blocks)         ← raw/*       (per capture, see tasks.py; only what
interim/clean/*.json     CleanCapture (roles)     ← extract      changed is redone, see incremental.py;
interim/structure/*.json Page                     ← clean        on local cores or Dask, see executors.py;
                                                                 or part-*.parquet, see parts.py)
interim/merge/cells.json Cell list + notes        ← structure (+ its index's facts)
processed/*.parquet      tables + report.json     ← merge (+ structure for the report)
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline import datapackage, facts, incremental, parts, report
from pipeline.executors import Runner
from pipeline.fetch.store import MANIFEST, read_rows
from pipeline.merge import merge_axes, merge_cell, merge_document, ranked_groups
from pipeline.model import Axis, Cell, Document, Page, from_json, to_json, to_pretty_json
from pipeline.progress import Progress
from pipeline.publish import (ValidationError, publish_lock, to_arrow, validate, write_tables,
                              write_text_atomic)
from pipeline.limits import MAX_BYTES
from pipeline.schemas import data_dictionary
from pipeline.tables import build_tables
from pipeline.tasks import Part, Task, output_name, output_path

log = logging.getLogger("pipeline")
NOT_CAPTURES = {MANIFEST}


@dataclass
class Paths:
    raw: Path
    interim: Path
    processed: Path

    def stage(self, name: str) -> Path:
        return self.interim / name


def read_manifest(raw: Path) -> dict[str, dict[str, str]]:
    return {row["file"]: row for row in read_rows(raw)}


def capture_files(raw: Path) -> list[Path]:
    with os.scandir(raw) as found:  # scandir: the file type comes with the listing, no stat per file
        return sorted(raw / e.name for e in found
                      if e.is_file() and not e.name.startswith(".") and e.name not in NOT_CAPTURES
                      and not e.name.lower().startswith("readme"))


def run_stage(paths: Paths, stage: str, runner: Runner, progress: Progress | None = None,
              max_bytes: int = MAX_BYTES, part_size: int = 0) -> None:
    """Run one per-capture stage over what changed since its last run; drop outputs of vanished captures.

    part_size > 0 writes Parquet parts of that many captures instead of a file per capture; clean and
    structure keep their source's parts (part i of clean is made from part i of extract)."""
    folder = paths.stage(stage)
    folder.mkdir(parents=True, exist_ok=True)
    previous = incremental.load(folder)
    if stage == "extract":
        source, source_index = paths.raw, {}
        units = _extract_units(paths, max_bytes)
    else:
        source = paths.stage(_SOURCE[stage])
        source_index = incremental.require(source)
        units = _step_units(paths, stage, source_index)
    source_parts = _parts_of(source_index)
    if part_size or source_parts:
        units = _parted(units, folder, part_size, source, source_parts)
    present = set(os.listdir(folder))
    kept = {unit: previous[unit] for unit, (key, _) in units.items() if unit in previous
            and previous[unit].get("key") == key and all(n in present for n in _written(previous[unit]))}
    todo = [work for unit, (_, work) in units.items() if unit not in kept]
    progress = progress or Progress(quiet=True)
    progress.start(stage, len(todo), unit="part" if part_size or source_parts else None)
    done = dict(kept)
    try:
        for result in runner(todo):
            done[result.unit] = {"key": units[result.unit][0], "outputs": result.outputs, "facts": result.facts}
            if isinstance(units[result.unit][1], Part):
                done[result.unit]["part"] = result.unit
            for note in result.notes:
                log.info(note)
            progress.advance("done", result.unit)
    finally:
        progress.close()
    names = {name for entry in done.values() for name in _written(entry)}
    for name in os.listdir(folder):  # the index and caches are dot files
        if name.endswith((".json", parts.SUFFIX)) and name not in names and not name.startswith("."):
            (folder / name).unlink()
    incremental.save(folder, done)
    log.info("%s: %d of %d unit(s) processed, the others unchanged", stage, len(todo), len(units))


def _extract_units(paths: Paths, max_bytes: int) -> dict[str, tuple[str, Task]]:
    manifest = read_manifest(paths.raw)
    units = {}
    paths.stage("extract").mkdir(parents=True, exist_ok=True)
    digests = incremental.file_digests(capture_files(paths.raw), paths.stage("extract") / incremental.DIGESTS)
    for path, digest in digests.items():
        row = manifest.get(path.name, {})
        url, captured_at, charset = row.get("url") or None, row.get("captured_at") or None, row.get("charset") or None
        key = incremental.key(digest, url, captured_at, charset, max_bytes)
        units[path.name] = (key, Task("extract", path.name, path, paths.stage("extract"), url, captured_at,
                                      charset, max_bytes))
    return units


_SOURCE = {"clean": "extract", "structure": "clean"}


def _step_units(paths: Paths, stage: str, source_index: dict[str, dict]) -> dict[str, tuple[str, Task]]:
    source = paths.stage(_SOURCE[stage])
    return {name: (incremental.key(stage, digest), Task(stage, name, output_path(source, name), paths.stage(stage)))
            for name, digest in sorted(incremental.outputs(source_index).items())}


def _written(entry: dict) -> list[str]:
    """The files an index entry stands for: its part, or a file per capture."""
    if "part" in entry:
        return [entry["part"]]
    return [output_name(name) for name in entry.get("outputs", {})]


def _parts_of(index: dict[str, dict]) -> dict[str, str]:
    """capture → the part holding it, when a stage wrote parts."""
    return {name: entry["part"] for entry in index.values() if "part" in entry for name in entry["outputs"]}


def _parted(units: dict[str, tuple[str, Task]], folder: Path, size: int, source: Path,
            source_parts: dict[str, str]) -> dict[str, tuple[str, Part]]:
    """Tasks gathered into parts: those of one source part together (read once), else runs of `size`
    in name order."""
    if source_parts:
        groups: dict[str, list[str]] = {}
        for unit in units:
            groups.setdefault(source_parts[unit], []).append(unit)
    else:
        names = sorted(units)
        groups = {parts.part_name(n): names[i:i + size] for n, i in enumerate(range(0, len(names), size))}
    return {name: (incremental.key([units[u][0] for u in members]),
                   Part(units[members[0]][1].stage, folder / name, tuple(units[u][1] for u in members),
                        source / name if source_parts else None))
            for name, members in sorted(groups.items())}


def merge_stage(paths: Paths) -> None:
    """Ranks every capture from the facts the structure stage indexed (no page is read for that), then
    folds each cell's (and document's) captures, best first, loading one page at a time: memory holds
    one page whatever the corpus size. A group whose captures are unchanged since the last run is
    taken from that run's output (merge's index keeps each group's key and notes)."""
    source, folder = paths.stage("structure"), paths.stage("merge")
    source_index = incremental.require(source)
    found = sorted(((name, facts.read(values)) for entry in source_index.values()
                    for name, values in entry["facts"].items()), key=lambda item: item[0])
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
    incremental.save(folder, index)


def _earlier_groups(folder: Path) -> dict[str, Cell | Document]:
    """The last run's cells and documents by id (none when it left no readable output)."""
    try:
        return {**{c.page.cell_id: c for c in _read_list(folder / "cells.json", Cell)},
                **{d.document_id: d for d in _read_list(folder / "documents.json", Document)}}
    except (OSError, ValueError):
        return {}


def _page_loader(folder: Path, index: dict[str, dict]) -> Callable[[str], Page]:
    if _parts_of(index):
        rows = parts.Rows(folder)
        return lambda name: from_json(Page, rows.record(name))
    return lambda name: from_json(Page, output_path(folder, name).read_bytes())


def _read_list(path: Path, tp: type) -> list:
    return from_json(list[tp], path.read_bytes())


def publish_stage(paths: Paths, strict: bool = False) -> int:
    """Returns the exit status: 0 all published, 1 some captures quarantined."""
    folder = paths.stage("merge")
    cells = _read_list(folder / "cells.json", Cell)
    documents = _read_list(folder / "documents.json", Document)
    axes = _read_list(folder / "axes.json", Axis)
    notes = from_json(dict[str, list[str]], (folder / "notes.json").read_bytes())
    described = from_json(list[dict], (folder / "captures.json").read_bytes())
    tables = build_tables(cells, documents, axes)
    problems = validate(tables)
    if problems:
        raise ValidationError("; ".join(problems[:20]))
    run = report.build(described, cells, tables, notes)
    if strict and run["quarantined"]:
        raise ValidationError(f"{len(run['quarantined'])} capture(s) quarantined and --strict given; "
                              "nothing published")
    with publish_lock(paths.processed):
        written = write_tables(to_arrow(tables), paths.processed,
                               {"report.json": to_pretty_json(run),
                                "datapackage.json": datapackage.render()})
    log.info("published %s", ", ".join(p.name for p in written))
    print(report.summary(run))
    for line in report.quarantine_lines(run):
        print(line, file=sys.stderr)
    return 1 if run["quarantined"] else 0


def report_stage(paths: Paths) -> Path:
    """processed/report.html from the published tables (imported here: only this stage needs pandas and
    matplotlib); charts already drawn from the same data are kept in interim/report."""
    from pipeline import datareport
    target = paths.processed / "report.html"
    charts = datareport.Charts(paths.stage("report"))
    write_text_atomic(target, datareport.render(datareport.load(paths.processed), charts))
    charts.prune()
    return target


def write_dictionary(path: Path) -> None:
    write_text_atomic(path, data_dictionary())
