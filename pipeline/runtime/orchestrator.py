"""The one owner of a refresh: runs the registry's stages in order, each over only what changed.

Per-capture stages plan from content hashes (raw/ and each stage's index) and their code fingerprint:
additions, edits, deletions and renames are all seen, whatever ran before (make, the CLI, a killed
run). Each finished unit is journalled as it completes. An interim file that no longer decodes is
redone from its source and the event reported. Whole-set stages run after them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import replace

from pipeline.runtime import incremental, registry
from pipeline.runtime.chain import finish, run_chain, stage_units, written
from pipeline.runtime.context import Context
from pipeline.runtime.executors import Runner, Work
from pipeline.runtime.incremental import Entry
from pipeline.runtime.parted import grouped, parts_of, run_parted_chain
from pipeline.runtime.progress import Progress
from pipeline.runtime.tasks import Part, Task

log = logging.getLogger("pipeline")
HEAL_ROUNDS = 3  # an unreadable input is redone from its source at most this many times in one run


class UnreadableInput(Exception):
    """A whole-set stage found inputs that do not decode; names: the captures (or None: all of them)."""

    def __init__(self, stage: str, names: Iterable[str] | None) -> None:
        self.stage, self.names = stage, None if names is None else set(names)
        super().__init__(f"{stage}: unreadable inputs {sorted(self.names or [])[:5]}")

    def __reduce__(self) -> tuple[type, tuple[str, set[str] | None]]:
        return UnreadableInput, (self.stage, self.names)  # raised in a worker, it crosses back whole


def refresh(context: Context, names: Iterable[str], runner: Runner, progress: Progress) -> int:
    """Run these stages in the registry's order, consecutive per-capture stages as one chain (a pass
    per capture, or per part where they write Parquet parts), and whole-set stages with their pieces
    spread over the same workers; the exit status is the worst a stage returned."""
    context = replace(context, spread=runner.spread)
    status = 0
    for group in registry.chains(tuple(names)):
        if len(group) > 1 and _parted_run(context, group[0]):
            run_parted_chain(context, group, runner, progress, _heal, HEAL_ROUNDS)
        elif len(group) > 1:
            run_chain(context, group, runner, progress, _heal, HEAL_ROUNDS)
        elif group[0].kind == "per-capture":
            run_per_capture(context, group[0].name, runner, progress)
        else:
            status = max(status, _run_whole(context, group[0].name, runner, progress))
    return status


def _parted_run(context: Context, head: registry.Stage) -> bool:
    """Whether a chain writes parts: the part size is set, or its head reads a stage that wrote parts."""
    if int(context.options.get("part_size") or 0):
        return True
    return not head.units and bool(parts_of(incremental.load(context.stage_folder(head.reads))))


def _run_whole(context: Context, name: str, runner: Runner, progress: Progress) -> int:
    stage = registry.get(name)
    for _ in range(HEAL_ROUNDS):
        try:
            return int(stage.function()(context) or 0)
        except UnreadableInput as bad:
            _heal(context, registry.get(bad.stage), bad.names, runner, progress)
    return int(stage.function()(context) or 0)


def _heal(context: Context, source: registry.Stage, names: set[str] | None, runner: Runner, progress: Progress) -> None:
    """Forget the damaged outputs of `source` and make them again."""
    folder = context.stage_folder(source.name)
    what = "every output" if names is None else ", ".join(sorted(names)[:5])
    context.events.append(f"{folder}: {what} did not decode (a truncated or damaged file?); made again from its source")
    log.warning(context.events[-1])
    if names is None:
        (folder / incremental.INDEX).unlink(missing_ok=True)
        (folder / incremental.JOURNAL).unlink(missing_ok=True)
    else:
        incremental.forget(folder, names)
    if source.kind == "per-capture":
        run_per_capture(context, source.name, runner, progress)
    else:
        _run_whole(context, source.name, runner, progress)


def run_per_capture(context: Context, name: str, runner: Runner, progress: Progress | None = None) -> None:
    """Run one per-capture stage over what changed since its last run; drop outputs of vanished captures.

    With the part size option > 0 the stage writes Parquet parts of that many captures instead of a
    file per capture; later stages keep their source's parts (part i of clean is made from part i of
    extract)."""
    stage = registry.get(name)
    folder = context.stage_folder(name)
    for _ in range(HEAL_ROUNDS):
        unreadable = _run_once(context, stage, runner, progress or Progress(quiet=True))
        if not unreadable:
            return
        _heal(context, registry.get(stage.reads), unreadable, runner, progress or Progress(quiet=True))
    raise RuntimeError(f"{folder}: inputs still unreadable after {HEAL_ROUNDS} attempts: {sorted(unreadable)[:5]}")


def _run_once(context: Context, stage: registry.Stage, runner: Runner, progress: Progress) -> set[str]:
    folder = context.stage_folder(stage.name)
    folder.mkdir(parents=True, exist_ok=True)
    previous = incremental.load(folder)
    part_size = int(context.options.get("part_size") or 0)
    source, source_index, found = stage_units(context, stage, folder)
    units: dict[str, tuple[str, Task | Part]] = dict(found)
    source_parts = parts_of(source_index)
    if part_size or source_parts:
        units = dict(grouped(stage.name, units, folder, part_size, source, source_parts))
    present = set(os.listdir(folder))
    kept = {
        unit: previous[unit]
        for unit, (key, _) in units.items()
        if unit in previous and previous[unit].key == key and all(n in present for n in written(previous[unit]))
    }
    todo: list[Work] = [work for unit, (_, work) in units.items() if unit not in kept]
    progress.start(stage.name, len(todo), unit="part" if part_size or source_parts else None)
    done = dict(kept)
    unreadable: set[str] = set()
    journal = incremental.Journal(folder)
    try:
        for results in runner(todo):
            for result in results:
                if result.unreadable:
                    unreadable.update(result.unreadable)
                    done.pop(result.unit, None)
                    journal.add(result.unit, None)
                else:
                    is_part = isinstance(units[result.unit][1], Part)
                    entry = Entry(units[result.unit][0], result.outputs, result.facts, result.unit if is_part else None)
                    done[result.unit] = entry
                    journal.add(result.unit, entry)
                progress.advance("done", result.unit)
    finally:
        journal.close()
        progress.close()
    if unreadable:
        return unreadable
    finish(folder, present, previous, done)
    log.info("%s: %d of %d unit(s) processed, the others unchanged", stage.name, len(todo), len(units))
    return set()
