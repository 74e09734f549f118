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
from dataclasses import dataclass
from pathlib import Path

from pipeline.extract.limits import MAX_BYTES
from pipeline.extract.sources import capture_files, read_manifest
from pipeline.runtime import incremental, parts
from pipeline.runtime.executors import Runner
from pipeline.runtime.progress import Progress
from pipeline.runtime.tasks import Part, Task, output_name, output_path

log = logging.getLogger("pipeline")


@dataclass
class Paths:
    raw: Path
    interim: Path
    processed: Path

    def stage(self, name: str) -> Path:
        return self.interim / name


def run_stage(
    paths: Paths,
    stage: str,
    runner: Runner,
    progress: Progress | None = None,
    max_bytes: int = MAX_BYTES,
    part_size: int = 0,
) -> None:
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
    source_parts = parts_of(source_index)
    if part_size or source_parts:
        units = _parted(units, folder, part_size, source, source_parts)
    present = set(os.listdir(folder))
    kept = {
        unit: previous[unit]
        for unit, (key, _) in units.items()
        if unit in previous and previous[unit].get("key") == key and all(n in present for n in _written(previous[unit]))
    }
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
        units[path.name] = (
            key,
            Task("extract", path.name, path, paths.stage("extract"), url, captured_at, charset, max_bytes),
        )
    return units


_SOURCE = {"clean": "extract", "structure": "clean"}


def _step_units(paths: Paths, stage: str, source_index: dict[str, dict]) -> dict[str, tuple[str, Task]]:
    source = paths.stage(_SOURCE[stage])
    return {
        name: (incremental.key(stage, digest), Task(stage, name, output_path(source, name), paths.stage(stage)))
        for name, digest in sorted(incremental.outputs(source_index).items())
    }


def _written(entry: dict) -> list[str]:
    """The files an index entry stands for: its part, or a file per capture."""
    if "part" in entry:
        return [entry["part"]]
    return [output_name(name) for name in entry.get("outputs", {})]


def parts_of(index: dict[str, dict]) -> dict[str, str]:
    """capture → the part holding it, when a stage wrote parts."""
    return {name: entry["part"] for entry in index.values() if "part" in entry for name in entry["outputs"]}


def _parted(
    units: dict[str, tuple[str, Task]], folder: Path, size: int, source: Path, source_parts: dict[str, str]
) -> dict[str, tuple[str, Part]]:
    """Tasks gathered into parts: those of one source part together (read once), else runs of `size`
    in name order."""
    if source_parts:
        groups: dict[str, list[str]] = {}
        for unit in units:
            groups.setdefault(source_parts[unit], []).append(unit)
    else:
        names = sorted(units)
        groups = {parts.part_name(n): names[i : i + size] for n, i in enumerate(range(0, len(names), size))}
    return {
        name: (
            incremental.key([units[u][0] for u in members]),
            Part(
                units[members[0]][1].stage,
                folder / name,
                tuple(units[u][1] for u in members),
                source / name if source_parts else None,
            ),
        )
        for name, members in sorted(groups.items())
    }
