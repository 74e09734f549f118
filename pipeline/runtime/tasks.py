"""One unit of per-capture work, run wherever an executor sends it (this process, a worker process,
a Dask worker). A task reads its input, runs its stage's function (found in the registry) and writes
its output itself, so that parsing and serialising run in parallel too; it returns the digests of what
it wrote (and each output's facts, where the stage declares them), which the incremental index keeps.
A `Part` is a run of tasks whose records go to one Parquet file (parts.py). Workers only need the same
file system and the package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from pipeline.runtime import faults, parts, registry
from pipeline.runtime.atomic import safe_name, write_text_atomic

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
class Done:
    unit: str
    outputs: dict[str, str]  # capture name → sha256 of the record written
    facts: dict[str, dict] = field(default_factory=dict)  # capture name → what the stage's facts function kept
    unreadable: tuple[str, ...] = ()  # inputs that did not decode (a truncated interim file): redone from source


def output_name(capture: str) -> str:
    return f"{safe_name(capture)}.json"


def output_path(folder: Path, capture: str) -> Path:
    return folder / output_name(capture)


def run(work: Task | Part) -> Done:
    """Either kind of work: what executors send to workers."""
    return run_part(work) if isinstance(work, Part) else run_task(work)


def run_task(task: Task) -> Done:
    records, unreadable = _records(task, None)
    done, written = _encode(task.unit, task.stage, records, unreadable)
    for name, _, text in written:
        write_text_atomic(output_path(task.target, name), text)
    faults.pause(task.stage)
    return done


def run_part(part: Part) -> Done:
    try:
        inputs = parts.read(part.source) if part.source else {}
    except (OSError, ValueError):  # a damaged part: every capture in it is redone from its source
        return Done(part.unit, {}, unreadable=tuple(t.unit for t in part.tasks))
    rows: list[tuple[str, str, str]] = []
    outputs: dict[str, str] = {}
    found: dict[str, dict] = {}
    unreadable: list[str] = []
    for task in part.tasks:
        records, bad = _records(task, inputs.get(task.unit))
        done, written = _encode(task.unit, task.stage, records, bad)
        rows.extend(written)
        outputs.update(done.outputs)
        found.update(done.facts)
        unreadable.extend(done.unreadable)
    if unreadable:
        return Done(part.unit, {}, unreadable=tuple(unreadable))
    parts.write(part.target, sorted(rows))
    return Done(part.unit, outputs, found)


def _records(task: Task, data: bytes | None) -> tuple[list[tuple[str, Any]], bool]:
    """(capture name, record) pairs, and whether the input was unreadable."""
    stage = registry.get(task.stage)
    if stage.input is None:  # reads raw/ itself
        return stage.function()(task), False
    try:
        record = msgspec.json.decode(task.source.read_bytes() if data is None else data, type=stage.function("input"))
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return [], True
    return [(task.unit, stage.function()(record))], False


def _encode(
    unit: str, stage_name: str, records: list[tuple[str, Any]], unreadable: bool
) -> tuple[Done, list[tuple[str, str, str]]]:
    """The records as JSON, with what the index keeps of them: (Done, [(capture, sha256, JSON)])."""
    if unreadable:
        return Done(unit, {}, unreadable=(unit,)), []
    stage = registry.get(stage_name)
    facts = stage.function("facts") if stage.facts else None
    written, outputs, found = [], {}, {}
    for name, record in records:
        text = _ENCODER.encode(record).decode("utf-8")
        outputs[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        written.append((name, outputs[name], text))
        if facts is not None:
            found[name] = facts(record)
    return Done(unit, outputs, found), written


def quarantine(task: Task, message: str) -> Done:
    """Write the stage's quarantined output for a task that could not run (its worker process died)."""
    stage = registry.get(task.stage)
    try:
        source = task.source.read_bytes() if stage.input else None
    except OSError:
        return Done(task.unit, {}, unreadable=(task.unit,))
    done, written = _encode(task.unit, task.stage, stage.function("failed")(source, task.unit, message), False)
    for name, _, text in written:
        write_text_atomic(output_path(task.target, name), text)
    return done
