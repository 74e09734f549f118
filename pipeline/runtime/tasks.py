"""One unit of per-capture work, run wherever an executor sends it (this process, a worker process,
a Dask worker). A task reads its input, runs its stage's function (found in the registry) and writes
its output itself, so that parsing and serialising run in parallel too; it returns the digests of what
it wrote (and each output's facts, where the stage declares them), which the incremental index keeps.
A `Part` is a run of tasks whose records go to one Parquet file (parts.py). A `Chain` is one capture's
pass through consecutive per-capture stages (extract → clean → structure): each record is handed on in
memory, never decoded again, and each step's record is still written (compressed, records.py), as the
next run's input and for a user to inspect. A `PartChain` is the same pass for a part of captures, each
step writing its own part. Workers only need the same file system and the package.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import msgspec

from pipeline.runtime import faults, incremental, parts, registry
from pipeline.runtime.atomic import safe_name, write_bytes_atomic
from pipeline.runtime.records import SUFFIX, Damaged, pack, read_record

# What a capture's output file is named with, either layout; ".json": the plain records earlier versions
# wrote, dropped once the capture's record is made again
RECORD_FILES = (SUFFIX, parts.SUFFIX, ".json")
_ENCODER = msgspec.json.Encoder(order="sorted")  # sorted keys: the same record always gives the same bytes


@dataclass(frozen=True)
class Task:
    stage: str
    unit: str  # a raw file's name (a stage reading raw/) or a capture's name
    source: Path  # the file to read
    target: Path  # the folder to write into
    params: tuple[tuple[str, Any], ...] = ()  # what the stage needs besides the file (for extract: the manifest row)


@dataclass(frozen=True)
class Part:
    """Tasks whose records are written together to `target`, a Parquet file. `source`: the previous
    stage's part holding every input of these tasks (read once), or None to read each task's own."""

    stage: str
    target: Path
    tasks: tuple[Task, ...]
    source: Path | None = None

    @property
    def unit(self) -> str:
        return self.target.name


@dataclass(frozen=True)
class Step:
    """A stage run after the one before it in a chain, on that stage's records. `known`: (capture, key,
    sha256) of the outputs it holds now, so a capture whose input comes out the same is not redone."""

    stage: str
    target: Path  # the folder to write into
    fingerprint: str  # the stage's code fingerprint (incremental.stage_fingerprint), found once by the planner
    known: tuple[tuple[str, str, str], ...] = ()


class _Headed:
    """A chain is named by its first step: its stage and unit."""

    first: Task | Part

    @property
    def stage(self) -> str:
        return self.first.stage

    @property
    def unit(self) -> str:
        return self.first.unit


@dataclass(frozen=True)
class Chain(_Headed):
    """`first`, then each step on what the one before it made, in one worker."""

    first: Task
    steps: tuple[Step, ...]
    key: str | None = None  # the first step's key, when only a worker knew it (what remains of a chain)


@dataclass(frozen=True)
class PartStep:
    """A stage run on the part the step before it made, in a chain of parts. `known`: the key and the
    outputs (capture, sha256) of the part it holds now (key "": none), so a part whose inputs come out
    the same is not redone."""

    stage: str
    target: Path  # the Parquet file to write
    fingerprint: str  # the stage's code fingerprint, found once by the planner
    known: tuple[str, tuple[tuple[str, str], ...]] = ("", ())


@dataclass(frozen=True)
class PartChain(_Headed):
    """`first`, then each step on the part the one before it made, in one worker."""

    first: Part
    steps: tuple[PartStep, ...]


@dataclass(frozen=True)
class Done:
    stage: str
    unit: str
    outputs: dict[str, str]  # capture name → sha256 of the record written
    # capture name → what the stage's facts function kept, as the JSON the index holds (read only by merge)
    facts: dict[str, msgspec.Raw] = field(default_factory=dict)
    unreadable: tuple[str, ...] = ()  # inputs that did not decode (a truncated interim file): redone from source
    key: str | None = None  # a chained step's key, which only the worker can know (None: the planner's)


def output_name(capture: str) -> str:
    return f"{safe_name(capture)}{SUFFIX}"


def output_path(folder: Path, capture: str) -> Path:
    return folder / output_name(capture)


def run(work: Task | Part | Chain | PartChain) -> list[Done]:
    """Any kind of work, what executors send to workers: what each stage made, in the order made."""
    if isinstance(work, Part):
        return [run_part(work)]
    if isinstance(work, Chain):
        return run_chain(work)
    if isinstance(work, PartChain):
        return run_part_chain(work)
    return [run_task(work)]


def run_batch(works: tuple[Task | Part | Chain | PartChain, ...]) -> list[list[Done]]:
    """Several works in one message to a worker and one back: what each made, in order."""
    return [run(work) for work in works]


def run_task(task: Task) -> Done:
    return _run_first(task)[0]


def run_chain(chain: Chain) -> list[Done]:
    done, made = _run_first(chain.first)
    return [replace(done, key=chain.key), *_follow(chain, made)]


def rest(chain: Chain, done: Done) -> list[Chain]:
    """What remains of a chain once its first step is done: a chain per capture that step made, each
    starting from the file written (used to find which step a dying worker died in)."""
    if not chain.steps:
        return []
    step, source = chain.steps[0], chain.first.target
    return [
        Chain(Task(step.stage, name, output_path(source, name), step.target), chain.steps[1:], keyed(step, digest))
        for name, digest in sorted(done.outputs.items())
    ]


def keyed(step: Step, digest: str) -> str:
    return incremental.keyed(step.fingerprint, digest)


def _run_first(task: Task) -> tuple[Done, list[tuple[str, str, Any]]]:
    """The task's Done and its records as (capture, sha256, record)."""
    records, unreadable = _records(task, None)
    done, written = _encode(task.unit, task.stage, records, unreadable)
    for name, _, data in written:
        write_bytes_atomic(output_path(task.target, name), pack(data))
    faults.pause(task.stage)
    return done, [(name, digest, record) for (name, digest, _), (_, record) in zip(written, records)]


def _follow(chain: Chain, made: list[tuple[str, str, Any]]) -> list[Done]:
    """The chain's steps over records made before them. A capture whose input has the key its current
    output was made from is skipped; if a later step must still run on it, its record is read back."""
    results: list[Done] = []
    source = chain.first.target
    current: list[tuple[str, str, Any | None]] = list(made)
    for step in chain.steps:
        stage = registry.get(step.stage)
        known = {name: (key, digest) for name, key, digest in step.known}
        following: list[tuple[str, str, Any | None]] = []
        for name, digest, record in current:
            key = keyed(step, digest)
            if known.get(name, ("", ""))[0] == key:
                following.append((name, known[name][1], None))
                continue
            if record is None:
                try:
                    data = read_record(output_path(source, name))
                    record = msgspec.json.decode(data, type=stage.function("input"))
                except (OSError, Damaged, msgspec.DecodeError, msgspec.ValidationError):
                    results.append(Done(step.stage, name, {}, unreadable=(name,)))
                    continue
            records = _apply(stage, name, record)
            made_here = records[0][1]
            done, written = _encode(name, step.stage, records, False)
            write_bytes_atomic(output_path(step.target, name), pack(written[0][2]))
            faults.pause(step.stage)
            results.append(Done(step.stage, name, done.outputs, done.facts, key=key))
            following.append((name, written[0][1], made_here))
        source, current = step.target, following
    return results


def run_part(part: Part) -> Done:
    return _make_part(part)[0]


def part_key(fingerprint: str, digests: Iterable[str]) -> str:
    """The key of a part made from records of these sha256s (in capture order): the stage's key of each
    capture's input, together, as a stage run on its own keys the part (orchestrator)."""
    return incremental.keyed(fingerprint, [incremental.keyed(fingerprint, digest) for digest in digests])


def run_part_chain(chain: PartChain) -> list[Done]:
    """The chain's first part, then each step on the records the one before made, still in memory. A
    step whose part key is the one its part was made from is skipped; if a later step must still run,
    it reads that part back whole. A part with no capture ends the chain (no later part is made).

    The cyclic garbage collector is paused meanwhile: the part's records, alive together, are what it
    would walk on every full collection (a sixth to a fifth of a part's CPU); they are trees, freed by
    reference counting, and any cycles the readers leave are collected after the part."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_part_chain(chain)
    finally:
        if enabled:
            gc.enable()


def _run_part_chain(chain: PartChain) -> list[Done]:
    done, made = _make_part(chain.first)
    results = [done]
    source, current = chain.first.target, sorted(made, key=itemgetter(0))
    for step in chain.steps:
        if done.unreadable or not current:
            break
        key = part_key(step.fingerprint, (digest for _, digest, _ in current))
        if key == step.known[0]:
            source, current = step.target, [(name, digest, None) for name, digest in step.known[1]]
            continue
        folder = step.target.parent
        tasks = tuple(Task(step.stage, name, output_path(source.parent, name), folder) for name, _, _ in current)
        given = {name: record for name, _, record in current if record is not None}
        done, made = _make_part(Part(step.stage, step.target, tasks, source), given)
        results.append(replace(done, key=key))
        source, current = step.target, sorted(made, key=itemgetter(0))
    return results


def _make_part(part: Part, given: dict[str, Any] | None = None) -> tuple[Done, list[tuple[str, str, Any]]]:
    """The part's Done and its records as (capture, sha256, record). `given`: input records already in
    memory, by capture; any other input is read from the source part (once) or the task's own file."""
    given = given or {}
    try:
        inputs = parts.read(part.source) if part.source and len(given) < len(part.tasks) else {}
    except (OSError, ValueError):  # a damaged part: every capture in it is redone from its source
        return Done(part.stage, part.unit, {}, unreadable=tuple(t.unit for t in part.tasks)), []
    rows: list[tuple[str, str, str]] = []
    made: list[tuple[str, str, Any]] = []
    outputs: dict[str, str] = {}
    found: dict[str, msgspec.Raw] = {}
    unreadable: list[str] = []
    stage = registry.get(part.stage)
    for task in part.tasks:
        if task.unit in given:
            records, bad = _apply(stage, task.unit, given[task.unit]), False
        else:
            records, bad = _records(task, inputs.get(task.unit))
        done, written = _encode(task.unit, task.stage, records, bad)
        rows.extend((name, digest, data.decode("utf-8")) for name, digest, data in written)
        made.extend((name, digest, record) for (name, digest, _), (_, record) in zip(written, records))
        outputs.update(done.outputs)
        found.update(done.facts)
        unreadable.extend(done.unreadable)
    if unreadable:
        return Done(part.stage, part.unit, {}, unreadable=tuple(unreadable)), []
    parts.write(part.target, sorted(rows), singly=read_singly(part.stage))
    return Done(part.stage, part.unit, outputs, found), made


@cache
def read_singly(stage: str) -> bool:
    """Whether a whole-set stage reads this stage's records (merge: a page at a time, parts.Rows);
    the next per-capture stage reads a part whole."""
    return any(s.reads == stage and s.kind == "whole-set" for s in registry.STAGES)


def _records(task: Task, data: bytes | None) -> tuple[list[tuple[str, Any]], bool]:
    """(capture name, record) pairs, and whether the input was unreadable."""
    stage = registry.get(task.stage)
    if stage.input is None:  # reads raw/ itself
        return _apply(stage, task.unit, task), False
    try:
        record = msgspec.json.decode(read_record(task.source) if data is None else data, type=stage.function("input"))
    except (OSError, Damaged, msgspec.DecodeError, msgspec.ValidationError):
        return [], True
    return _apply(stage, task.unit, record), False


def _apply(stage: registry.Stage, name: str, given: Any) -> list[tuple[str, Any]]:
    """The stage's function on `given` (its input record, or the task of a stage reading raw/), as
    (capture, record) pairs. An exception it raises quarantines this capture alone: the stage's `failed`
    record, with the message "ExcType: message", goes on where its output would have."""
    try:
        made = stage.function()(given)
    except Exception as exc:
        return stage.function("failed")(None if stage.input is None else given, name, f"{type(exc).__name__}: {exc}")
    return made if stage.input is None else [(name, made)]


def _encode(
    unit: str, stage_name: str, records: list[tuple[str, Any]], unreadable: bool
) -> tuple[Done, list[tuple[str, str, bytes]]]:
    """The records as UTF-8 JSON, with what the index keeps of them: (Done, [(capture, sha256, JSON)])."""
    if unreadable:
        return Done(stage_name, unit, {}, unreadable=(unit,)), []
    stage = registry.get(stage_name)
    facts = stage.function("facts") if stage.facts else None
    written, outputs, found = [], {}, {}
    for name, record in records:
        data = _ENCODER.encode(record)
        outputs[name] = hashlib.sha256(data).hexdigest()
        written.append((name, outputs[name], data))
        if facts is not None:
            found[name] = msgspec.Raw(_ENCODER.encode(facts(record)))
    return Done(stage_name, unit, outputs, found), written


def quarantine(work: Task | Chain, message: str) -> list[Done]:
    """Write the stage's quarantined output for work that could not run (its worker process died); a
    chain's later steps then run here on that output, as they would on any quarantined capture."""
    task = work.first if isinstance(work, Chain) else work
    stage = registry.get(task.stage)
    try:
        given = msgspec.json.decode(read_record(task.source), type=stage.function("input")) if stage.input else None
    except (OSError, Damaged, msgspec.DecodeError, msgspec.ValidationError):
        return [Done(task.stage, task.unit, {}, unreadable=(task.unit,))]
    records = stage.function("failed")(given, task.unit, message)
    done, written = _encode(task.unit, task.stage, records, False)
    for name, _, data in written:
        write_bytes_atomic(output_path(task.target, name), pack(data))
    if not isinstance(work, Chain):
        return [done]
    made = [(name, digest, record) for (name, digest, _), (_, record) in zip(written, records)]
    return [replace(done, key=work.key), *_follow(work, made)]
