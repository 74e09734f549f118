"""Per-capture stages written as Parquet parts (parts.py): how captures are grouped into parts, and a
chain of stages (registry.chains: extract → clean → structure) run a part at a time.

A chained part is one task in one worker: it takes a part's captures through every stage of the chain,
handing the records on in memory, and each stage still writes its own part and keeps its own index,
exactly the parts and indexes a stage run at a time (orchestrator.run_per_capture) writes. As with a
chain of files (chain.py), incrementality stays per stage: the plan starts each part's chain at the
first stage whose part key changed (only clean's code changed: at clean, reading extract's part), and
in the worker a step whose part comes out with the key it was made from is skipped. Part i of a stage
is made from part i of the stage before it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.runtime import incremental, registry
from pipeline.runtime.chain import Heal, Stages, finish, stage_units
from pipeline.runtime.context import Context
from pipeline.runtime.executors import Runner
from pipeline.runtime.incremental import Entry
from pipeline.runtime.parts import part_name
from pipeline.runtime.progress import Progress
from pipeline.runtime.tasks import Part, PartChain, PartStep, Task, output_path, part_key

log = logging.getLogger("pipeline")


def parts_of(index: dict[str, Entry]) -> dict[str, str]:
    """capture → the part holding it, when a stage wrote parts."""
    return {name: entry.part for entry in index.values() if entry.part for name in entry.outputs}


def grouped(
    stage: str,
    units: dict[str, tuple[str, Task | Part]],
    folder: Path,
    size: int,
    source: Path,
    source_parts: dict[str, str],
) -> dict[str, tuple[str, Part]]:
    """Tasks gathered into parts: those of one source part together (read once), else runs of `size`
    in name order."""
    if source_parts:
        groups: dict[str, list[str]] = {}
        for unit in units:
            groups.setdefault(source_parts[unit], []).append(unit)
    else:
        names = sorted(units)
        groups = {part_name(n): names[i : i + size] for n, i in enumerate(range(0, len(names), size))}
    tasks = {unit: work for unit, (_, work) in units.items() if isinstance(work, Task)}
    return {
        name: (
            incremental.key(stage, [units[u][0] for u in members]),
            Part(stage, folder / name, tuple(tasks[u] for u in members), source / name if source_parts else None),
        )
        for name, members in sorted(groups.items())
    }


class _Plan(Stages):
    """What a chain of parts must do: the chains to run, and each stage's index as it stands unless redone."""

    def __init__(self, context: Context, stages: tuple[registry.Stage, ...]) -> None:
        super().__init__(context, stages)  # its units are parts
        self.work: list[PartChain] = []
        head = stages[0]
        source, source_index, units = stage_units(context, head, self.folders[head.name])
        size = int(context.options.get("part_size") or 0)
        found = grouped(head.name, dict(units), self.folders[head.name], size, source, parts_of(source_index))
        for name, (key, part) in found.items():
            entry = self.current(head.name, name, key)
            if entry is None:
                self.start(0, part, key)
            else:
                self.done[head.name][name] = entry
                self.follow(1, name, entry.outputs)

    def current(self, stage: str, part: str, key: str | None = None) -> Entry | None:
        """The part's entry, if its file is there (and it was made from `key`, when given)."""
        entry = self.previous[stage].get(part)
        if entry is None or entry.part != part or part not in self.present[stage]:
            return None
        return entry if key is None or entry.key == key else None

    def start(self, at: int, part: Part, key: str) -> None:
        """A chain of this part from stage `at`; the later stages' parts are kept unless the worker redoes them."""
        self.keys[(part.stage, part.unit)] = key
        steps = []
        for stage in self.stages[at + 1 :]:
            entry = self.current(stage.name, part.unit)
            known: tuple[str, tuple[tuple[str, str], ...]] = ("", ())
            if entry is not None:
                known = (entry.key, tuple(sorted(entry.outputs.items())))
                self.done[stage.name][part.unit] = entry
            target = self.folders[stage.name] / part.unit
            steps.append(PartStep(stage.name, target, self.fingerprints[stage.name], known))
        self.work.append(PartChain(part, tuple(steps)))

    def follow(self, at: int, part: str, outputs: dict[str, str]) -> None:
        """A part whose stage `at - 1` is unchanged: kept down the chain until a key changed."""
        for i in range(at, len(self.stages)):
            if not outputs:  # no capture to hand on: no later part, as a stage run alone makes none
                return
            stage, before = self.stages[i].name, self.folders[self.stages[i - 1].name]
            captures = sorted(outputs)
            key = part_key(self.fingerprints[stage], (outputs[c] for c in captures))
            entry = self.current(stage, part, key)
            if entry is None:
                folder = self.folders[stage]
                tasks = tuple(Task(stage, c, output_path(before, c), folder) for c in captures)
                self.start(i, Part(stage, folder / part, tasks, before / part), key)
                return
            self.done[stage][part] = entry
            outputs = entry.outputs


def run_parted_chain(
    context: Context, stages: tuple[registry.Stage, ...], runner: Runner, progress: Progress, heal: Heal, rounds: int
) -> None:
    """Run the chain a part at a time over what changed; an unreadable input is healed (`heal`) at most
    `rounds` times."""
    for _ in range(rounds):
        unreadable = _run_once(context, stages, runner, progress)
        if not unreadable:
            return
        for stage, names in sorted(unreadable.items()):
            heal(context, registry.get(registry.get(stage).reads), names, runner, progress)
    raise RuntimeError(f"{stages[0].name}…: inputs still unreadable after {rounds} attempts")


def _run_once(
    context: Context, stages: tuple[registry.Stage, ...], runner: Runner, progress: Progress
) -> dict[str, set[str]]:
    plan = _Plan(context, stages)
    ran, unreadable = plan.run(runner, list(plan.work), progress, parts=True)
    if unreadable:
        return unreadable
    for before, stage in zip(stages, stages[1:]):  # parts whose source part is gone or empty are gone
        upstream = plan.done[before.name]
        plan.done[stage.name] = {p: e for p, e in plan.done[stage.name].items() if upstream.get(p, _EMPTY).outputs}
    for stage in stages:
        finish(plan.folders[stage.name], plan.present[stage.name], plan.previous[stage.name], plan.done[stage.name])
        log.info(
            "%s: %d of %d part(s) processed, the others unchanged",
            stage.name,
            ran[stage.name],
            len(plan.done[stage.name]),
        )
    return {}


_EMPTY = Entry("", {})
