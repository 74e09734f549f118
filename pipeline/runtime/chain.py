"""One pass per capture through a chain of per-capture stages (registry.chains: extract → clean →
structure): each capture that needs any of them is one task in one worker, its records handed from
stage to stage in memory rather than written, read back and decoded between stages.

Every step still writes its record, and each stage keeps its own index: the records are the next run's
inputs when only a later stage's code changes, and what a user opens to see each step. Incrementality
stays per stage: the plan starts a capture's chain at the first stage whose key changed, and a step
whose input comes out the same as before (its key unchanged) is skipped in the worker, as are the
steps after it unless their own code changed.

A finished run leaves a stamp of everything its plan read (the head stage's `state`, each unit's
status in raw/; the options, each stage's code fingerprint, each stage folder's listing and index
files): a run finding the same stamp knows, without planning, that there is still nothing to do, and
one finding it the same but for some units' status plans only those units (a new capture in a
corpus of thousands costs what that capture costs, not a look at every other one).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import msgspec

from pipeline.runtime import incremental, registry
from pipeline.runtime.atomic import write_text_atomic
from pipeline.runtime.context import Context
from pipeline.runtime.executors import Runner
from pipeline.runtime.incremental import Entry
from pipeline.runtime.progress import Progress
from pipeline.runtime.stamps import Stamps
from pipeline.runtime.tasks import RECORD_FILES, Chain, Step, Task, output_name, output_path

log = logging.getLogger("pipeline")
Heal = Callable[[Context, registry.Stage, set[str], Runner, Progress], None]
STAMP = ".chain.json"  # in the head stage's folder: the stamp of the last run of the chain
SHOWN_ONLY = frozenset({"quiet"})  # options that change what a run prints, never what it writes


class _Listings(dict[str, set[str]]):
    """Each stage folder's file names, listed when first asked for: a plan the stamp vouches for (one
    new capture) never asks, and each listing is a few tens of milliseconds at 10,000 captures."""

    def __init__(self, folders: dict[str, Path]) -> None:
        super().__init__()
        self._folders = folders

    def __missing__(self, stage: str) -> set[str]:
        self[stage] = found = set(os.listdir(self._folders[stage]))
        return found


class Stages:
    """What planning a chain starts from: each stage's folder, index as it stands (unless redone),
    listing and code fingerprint; what is kept or done (`done`) and each chain's first key (`keys`)."""

    def __init__(self, context: Context, stages: tuple[registry.Stage, ...]) -> None:
        self.stages = stages
        self.folders = {s.name: context.stage_folder(s.name) for s in stages}
        for folder in self.folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        self.previous = {s.name: incremental.load(self.folders[s.name]) for s in stages}
        self.present = _Listings(self.folders)
        self.fingerprints = {s.name: incremental.stage_fingerprint(s.name) for s in stages}
        self.done: dict[str, dict[str, Entry]] = {s.name: {} for s in stages}
        self.keys: dict[tuple[str, str], str] = {}  # (stage, unit) → key, for each chain's first step

    def run(
        self, runner: Runner, work: list, progress: Progress, parts: bool = False
    ) -> tuple[dict[str, int], dict[str, set[str]]]:
        """Run the chains (`parts`: of parts), each result journaled as it comes and kept in `done`: how
        many units each stage ran, and the inputs found unreadable, by stage."""
        ran = {s.name: 0 for s in self.stages}
        unreadable: dict[str, set[str]] = {}
        if not work:
            return ran, unreadable
        journals = {s.name: incremental.Journal(self.folders[s.name]) for s in self.stages}
        progress.start(" → ".join(s.name for s in self.stages), len(work), unit="part" if parts else None)
        try:
            for results in runner(work):
                for done in results:
                    if done.unreadable:
                        unreadable.setdefault(done.stage, set()).update(done.unreadable)
                        self.done[done.stage].pop(done.unit, None)
                        journals[done.stage].add(done.unit, None)
                        continue
                    key = done.key or self.keys[(done.stage, done.unit)]
                    entry = Entry(key, done.outputs, done.facts, done.unit if parts else None)
                    self.done[done.stage][done.unit] = entry
                    journals[done.stage].add(done.unit, entry)
                    ran[done.stage] += 1
                progress.advance("done", results[0].unit)
        finally:
            for journal in journals.values():
                journal.close()
            progress.close()
        return ran, unreadable


class _Plan(Stages):
    """What a chain's run must do: the chains to run, and each stage's index as it stands unless redone."""

    def __init__(self, context: Context, stages: tuple[registry.Stage, ...]) -> None:
        super().__init__(context, stages)
        self.work: list[Chain] = []
        self.kept = False  # every unit but some was kept on the stamp's word (`keep`)

    def current(self, stage: str, unit: str, key: str) -> Entry | None:
        """The unit's entry, if it was made from this key and its files are all there."""
        entry = self.previous[stage].get(unit)
        if entry is None or entry.key != key or not all(n in self.present[stage] for n in written(entry)):
            return None
        return entry

    def keep(self, changed: set[str]) -> bool:
        """Every unit of the head stage but `changed` kept as its index has it, and what it made all
        down the chain: the stamp vouches that none of it changed. False when an index does not hold
        what the stamp vouched for (then nothing may be taken on trust)."""
        head, *later = self.stages
        kept = {u: e for u, e in self.previous[head.name].items() if u not in changed}
        self.done[head.name].update(kept)
        names = incremental.outputs(kept)
        for stage in later:
            previous = self.previous[stage.name]
            if not all(n in previous for n in names):
                return False
            entries = {n: previous[n] for n in names}
            self.done[stage.name].update(entries)
            names = incremental.outputs(entries)
        self.kept = True
        return True

    def start(self, at: int, task: Task, key: str, captures: list[str]) -> None:
        """A chain from stage `at`; `captures`: what its first step made last time, for the later steps."""
        self.keys[(task.stage, task.unit)] = key
        steps = []
        for stage in self.stages[at + 1 :]:
            known = []
            for name in captures:
                entry = self.previous[stage.name].get(name)
                if entry is not None and all(n in self.present[stage.name] for n in written(entry)):
                    known.append((name, entry.key, entry.outputs[name]))
                    self.done[stage.name][name] = entry  # kept, unless the worker redoes it
            steps.append(Step(stage.name, self.folders[stage.name], self.fingerprints[stage.name], tuple(known)))
        self.work.append(Chain(task, tuple(steps)))

    def follow(self, at: int, name: str, digest: str) -> None:
        """A capture whose stage `at - 1` record is unchanged: kept down the chain until a key changed."""
        for i in range(at, len(self.stages)):
            stage = self.stages[i].name
            key = incremental.keyed(self.fingerprints[stage], digest)
            entry = self.current(stage, name, key)
            if entry is None:
                before = self.folders[self.stages[i - 1].name]
                self.start(i, Task(stage, name, output_path(before, name), self.folders[stage]), key, [name])
                return
            self.done[stage][name] = entry
            digest = entry.outputs[name]


def written(entry: Entry) -> list[str]:
    """The files an index entry stands for: its part, or a file per capture."""
    if entry.part:
        return [entry.part]
    return [output_name(name) for name in entry.outputs]


def step_units(stage: str, source: Path, folder: Path, source_index: dict[str, Entry]) -> dict[str, tuple[str, Task]]:
    """A stage's units when it reads another stage: one per capture that stage holds."""
    return {
        name: (incremental.key(stage, digest), Task(stage, name, output_path(source, name), folder))
        for name, digest in sorted(incremental.outputs(source_index).items())
    }


def stage_units(
    context: Context, stage: registry.Stage, folder: Path, only: set[str] | None = None
) -> tuple[Path, dict[str, Entry], dict[str, tuple[str, Task]]]:
    """A per-capture stage's units (reading raw/: those in `only`, if given), with the folder they are
    read from and its index (none for raw/)."""
    if stage.units:
        units = stage.function("units")
        return context.raw, {}, units(context) if only is None else units(context, only)
    source = context.stage_folder(stage.reads)
    source_index = incremental.load(source)
    if not source_index and not (source / incremental.INDEX).exists():
        raise FileNotFoundError(2, "no such file", str(source / incremental.INDEX))
    return source, source_index, step_units(stage.name, source, folder, source_index)


class _Stamp(msgspec.Struct):
    rest: str  # `_rest` when the run finished
    inputs: Stamps  # the head stage's `state` when the run started


def run_chain(
    context: Context, stages: tuple[registry.Stage, ...], runner: Runner, progress: Progress, heal: Heal, rounds: int
) -> None:
    """Run the chain over what changed; an unreadable input is healed (`heal`) at most `rounds` times."""
    head = stages[0]
    inputs: Stamps | None = head.function("state")(context) if head.state else None
    stamp = context.stage_folder(head.name) / STAMP
    before = _read(stamp)
    only = None
    if inputs is not None and before is not None and before.rest == (_rest(context, stages) or None):
        only = inputs.changed(before.inputs)
        if only == set():
            log.info("%s: nothing changed since the last run", " → ".join(s.name for s in stages))
            return
    for _ in range(rounds):
        unreadable = _run_once(context, stages, runner, progress, only)
        if not unreadable:
            if inputs is not None and (rest := _rest(context, stages)):
                write_text_atomic(stamp, msgspec.json.encode(_Stamp(rest, inputs), order="sorted").decode())
            return
        only = None  # what was healed is planned again with everything else
        for stage, names in sorted(unreadable.items()):
            heal(context, registry.get(registry.get(stage).reads), names, runner, progress)
    raise RuntimeError(f"{stages[0].name}…: inputs still unreadable after {rounds} attempts")


def _rest(context: Context, stages: tuple[registry.Stage, ...]) -> str:
    """What a plan of this chain reads besides the head's inputs: the options, the code, each stage
    folder's listing and index files; "" when a folder is missing."""
    options = sorted((k, v) for k, v in context.options.items() if k not in SHOWN_ONLY)
    found: list[object] = [options, [incremental.stage_fingerprint(s.name) for s in stages]]
    for stage in stages:
        folder = context.stage_folder(stage.name)
        try:
            found.append(sorted(n for n in os.listdir(folder) if n != STAMP))
        except OSError:
            return ""
        for name in (incremental.INDEX, incremental.JOURNAL):
            try:
                st = os.stat(folder / name)
            except FileNotFoundError:
                found.append(None)
            else:
                found.append((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return hashlib.sha256(msgspec.json.encode(found)).hexdigest()


def _read(path: Path) -> _Stamp | None:
    try:
        return msgspec.json.decode(path.read_bytes(), type=_Stamp)
    except (OSError, ValueError):
        return None


def _plan(context: Context, stages: tuple[registry.Stage, ...], only: set[str] | None) -> _Plan:
    """What to do; with `only`, the head stage's units that may have changed (the others are kept)."""
    plan = _Plan(context, stages)
    head = stages[0]
    _, _, units = stage_units(context, head, plan.folders[head.name], only)
    if only is not None and not plan.keep(only):
        return _plan(context, stages, None)
    for unit, (key, task) in units.items():
        entry = plan.current(head.name, unit, key)
        if entry is None:
            before = plan.previous[head.name].get(unit)
            plan.start(0, task, key, sorted(before.outputs) if before else [])
            continue
        plan.done[head.name][unit] = entry
        for name, digest in sorted(entry.outputs.items()):
            plan.follow(1, name, digest)
    return plan


def _run_once(
    context: Context, stages: tuple[registry.Stage, ...], runner: Runner, progress: Progress, only: set[str] | None
) -> dict:
    plan = _plan(context, stages, only)
    ran, unreadable = plan.run(runner, list(plan.work), progress)
    if unreadable:
        return unreadable
    for before, stage in zip(stages, stages[1:]):  # captures their source no longer holds are gone
        upstream = incremental.outputs(plan.done[before.name])
        plan.done[stage.name] = {u: e for u, e in plan.done[stage.name].items() if u in upstream}
    for stage in stages:
        folder, previous, made = plan.folders[stage.name], plan.previous[stage.name], plan.done[stage.name]
        if plan.kept:
            _settle(folder, previous, made)
        else:
            finish(folder, plan.present[stage.name], previous, made)
        log.info(
            "%s: %d of %d unit(s) processed, the others unchanged",
            stage.name,
            ran[stage.name],
            len(plan.done[stage.name]),
        )
    return {}


def _settle(folder: Path, previous: dict[str, Entry], done: dict[str, Entry]) -> None:
    """`_finish` after a plan of only some units: only their files are looked at, and the journal
    (which holds what this run did) is left unfolded while folding it would cost more than it saves."""
    gone = sorted(previous.keys() - done.keys())
    if gone:
        taken = incremental.outputs(done)
        journal = incremental.Journal(folder)
        try:
            for unit in gone:
                journal.add(unit, None)
                for name in previous[unit].outputs:
                    if name not in taken:
                        (folder / output_name(name)).unlink(missing_ok=True)
        finally:
            journal.close()
    if incremental.worth_folding(folder):
        incremental.save(folder, done)


def finish(folder: Path, present: set[str], previous: dict[str, Entry], done: dict[str, Entry]) -> None:
    """Drop the files of captures that are gone (and any file no unit stands for); write the index if
    it changed."""
    names = {n for entry in done.values() for n in written(entry)}
    for n in present:  # the index and caches are dot files
        if n.endswith(RECORD_FILES) and n not in names and not n.startswith("."):
            (folder / n).unlink()
    if done != previous or (folder / incremental.JOURNAL).exists():
        incremental.save(folder, done)
