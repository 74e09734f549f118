"""One unit of per-capture work, run wherever an executor sends it (this process, a worker process,
a Dask worker). A task reads its input, runs the stage's pure function and writes its output itself,
so that parsing and serialising run in parallel too; it returns the digests of what it wrote (and,
from structure, each page's facts), which the incremental index keeps. A `Part` is a run of tasks
whose records go to one Parquet file (parts.py). Workers only need the same file system and the package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.clean.passes import clean
from pipeline.extract.limits import too_big
from pipeline.merge.facts import facts
from pipeline.model import Capture, CleanCapture, Page, from_json, to_json
from pipeline.runtime import parts
from pipeline.runtime.atomic import safe_name, write_text_atomic
from pipeline.structure import structure


@dataclass(frozen=True)
class Task:
    stage: str  # "extract" | "clean" | "structure"
    unit: str  # a raw file's name (extract) or a capture's name
    source: Path  # the file to read
    target: Path  # the folder to write into
    url: str | None = None  # extract only: what the manifest says of the raw file
    captured_at: str | None = None
    charset: str | None = None
    max_bytes: int = 0


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
    notes: tuple[str, ...] = ()
    facts: dict[str, dict] = field(default_factory=dict)  # structure: capture name → facts.Facts as values


def output_name(capture: str) -> str:
    return f"{safe_name(capture)}.json"


def output_path(folder: Path, capture: str) -> Path:
    return folder / output_name(capture)


def run(work: Task | Part) -> Done:
    """Either kind of work: what executors send to workers."""
    return run_part(work) if isinstance(work, Part) else run_task(work)


def run_task(task: Task) -> Done:
    done, written = _encode(task.unit, task.stage, _records(task, None))
    for name, _, text in written:
        write_text_atomic(output_path(task.target, name), text)
    return done


def run_part(part: Part) -> Done:
    inputs = parts.read(part.source) if part.source else {}
    rows, outputs, notes, found = [], {}, [], {}
    for task in part.tasks:
        done, written = _encode(task.unit, task.stage, _records(task, inputs.get(task.unit)))
        rows.extend(written)
        outputs.update(done.outputs)
        notes.extend(done.notes)
        found.update(done.facts)
    parts.write(part.target, sorted(rows))
    return Done(part.unit, outputs, tuple(notes), found)


def _records(task: Task, data: bytes | None) -> list[Capture | CleanCapture | Page]:
    return (
        _extract(task) if task.stage == "extract" else [_step(task, task.source.read_bytes() if data is None else data)]
    )


def _encode(unit: str, stage: str, records: list) -> tuple[Done, list[tuple[str, str, str]]]:
    """The records as JSON, with what the index keeps of them: (Done, [(capture, sha256, JSON)])."""
    written, outputs, notes, found = [], {}, [], {}
    for record in records:
        name, text = _name(record), to_json(record)
        outputs[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        written.append((name, outputs[name], text))
        notes.extend(f"{stage} failed on {name}: {e}" for e in _new_errors(record, stage))
        if isinstance(record, Page):
            found[name] = facts(record)
    return Done(unit, outputs, tuple(notes), found), written


def _extract(task: Task) -> list[Capture]:
    # the readers (HTML, Markdown, WARC, encodings) load here, so that processes running the other
    # stages start without them
    from pipeline.extract.warc import is_warc, warc_captures

    size = task.source.stat().st_size
    if size > task.max_bytes:  # never loaded: memory stays bounded whatever lands in raw/
        return [Capture(task.unit, "unknown", "", [], task.url, errors=[f"extract: {too_big(size, task.max_bytes)}"])]
    data = task.source.read_bytes()
    if not is_warc(data):
        return [_read_one(task.unit, data, task.url, task.captured_at, task.charset, task.max_bytes)]
    try:  # a web archive: one capture per HTML response record, "<file>#0001", …
        return [
            _read_one(rec.name, rec.payload, rec.url, rec.date, rec.charset, task.max_bytes)
            for rec in warc_captures(task.unit, data)
        ]
    except Exception as exc:
        return [Capture(task.unit, "warc", "", [], errors=[f"extract: cannot read the WARC file: {exc}"])]


def _read_one(
    name: str, data: bytes, url: str | None, captured_at: str | None, charset: str | None, max_bytes: int
) -> Capture:
    """Read one capture; one that cannot be read is quarantined, and the others still go through."""
    from pipeline.extract.read import read_capture

    try:
        return read_capture(name, data, url, captured_at, charset, max_bytes)
    except Exception as exc:
        return Capture(name, "unknown", "", [], url, captured_at, errors=[f"extract: cannot read the capture: {exc}"])


_STEPS = {"clean": (Capture, clean), "structure": (CleanCapture, structure)}


def _step(task: Task, data: bytes) -> CleanCapture | Page:
    tp, step = _STEPS[task.stage]
    record = from_json(tp, data)
    try:
        return step(record)
    except Exception as exc:  # isolate: the other captures still go through
        return _failed(record, task.stage, exc)


def _failed(record: Capture | CleanCapture, stage: str, exc: Exception) -> CleanCapture | Page:
    capture = record.capture if isinstance(record, CleanCapture) else record
    error = [f"{stage}: {type(exc).__name__}: {exc}"]
    if stage == "clean":
        return CleanCapture(
            Capture(capture.file, capture.format, capture.sha256, [], capture.url, capture.captured_at, errors=error),
            [],
        )
    return Page(capture.file, capture.format, capture.sha256, "other", capture.url, capture.captured_at, errors=error)


def _new_errors(record: Capture | CleanCapture | Page, stage: str) -> list[str]:
    errors = record.capture.errors if isinstance(record, CleanCapture) else record.errors
    return [e for e in errors if e.startswith(f"{stage}: ")]


def _name(record: Capture | CleanCapture | Page) -> str:
    if isinstance(record, Page):
        return record.capture
    return record.capture.file if isinstance(record, CleanCapture) else record.file
