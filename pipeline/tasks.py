"""One unit of per-capture work, run wherever an executor sends it (this process, a worker process,
a Dask worker). A task reads its input file, runs the stage's pure function and writes its output
file itself, so that parsing and serialising run in parallel too; it returns the digests of what it
wrote, which the incremental index keeps. Workers only need the same file system and the package.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.clean import clean
from pipeline.model import Capture, CleanCapture, Page, from_json, to_json
from pipeline.publish import safe_name, write_text_atomic
from pipeline.readers import read_capture, too_big
from pipeline.readers.warc import is_warc, warc_captures
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
class Done:
    unit: str
    outputs: dict[str, str]  # capture name → sha256 of the file written
    notes: tuple[str, ...] = ()


def output_path(folder: Path, capture: str) -> Path:
    return folder / f"{safe_name(capture)}.json"


def run(task: Task) -> Done:
    records = _extract(task) if task.stage == "extract" else [_step(task)]
    outputs, notes = {}, []
    for record in records:
        name = _name(record)
        text = to_json(record)
        write_text_atomic(output_path(task.target, name), text)
        outputs[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        notes.extend(f"{task.stage} failed on {name}: {e}" for e in _new_errors(record, task.stage))
    return Done(task.unit, outputs, tuple(notes))


def _extract(task: Task) -> list[Capture]:
    size = task.source.stat().st_size
    if size > task.max_bytes:  # never loaded: memory stays bounded whatever lands in raw/
        return [Capture(task.unit, "unknown", "", [], task.url, errors=[f"extract: {too_big(size, task.max_bytes)}"])]
    data = task.source.read_bytes()
    if not is_warc(data):
        return [_read_one(task.unit, data, task.url, task.captured_at, task.charset, task.max_bytes)]
    try:  # a web archive: one capture per HTML response record, "<file>#0001", …
        return [_read_one(rec.name, rec.payload, rec.url, rec.date, rec.charset, task.max_bytes)
                for rec in warc_captures(task.unit, data)]
    except Exception as exc:
        return [Capture(task.unit, "warc", "", [], errors=[f"extract: cannot read the WARC file: {exc}"])]


def _read_one(name: str, data: bytes, url: str | None, captured_at: str | None, charset: str | None,
              max_bytes: int) -> Capture:
    """Read one capture; one that cannot be read is quarantined, and the others still go through."""
    try:
        return read_capture(name, data, url, captured_at, charset, max_bytes)
    except Exception as exc:
        return Capture(name, "unknown", "", [], url, captured_at, errors=[f"extract: cannot read the capture: {exc}"])


_STEPS = {"clean": (Capture, clean), "structure": (CleanCapture, structure)}


def _step(task: Task) -> CleanCapture | Page:
    tp, step = _STEPS[task.stage]
    record = from_json(tp, task.source.read_bytes())
    try:
        return step(record)
    except Exception as exc:  # isolate: the other captures still go through
        return _failed(record, task.stage, exc)


def _failed(record: Capture | CleanCapture, stage: str, exc: Exception) -> CleanCapture | Page:
    capture = record.capture if isinstance(record, CleanCapture) else record
    error = [f"{stage}: {type(exc).__name__}: {exc}"]
    if stage == "clean":
        return CleanCapture(Capture(capture.file, capture.format, capture.sha256, [], capture.url,
                                    capture.captured_at, errors=error), [])
    return Page(capture.file, capture.format, capture.sha256, "other", capture.url, capture.captured_at, errors=error)


def _new_errors(record: Capture | CleanCapture | Page, stage: str) -> list[str]:
    errors = record.capture.errors if isinstance(record, CleanCapture) else record.errors
    return [e for e in errors if e.startswith(f"{stage}: ")]


def _name(record: Capture | CleanCapture | Page) -> str:
    if isinstance(record, Page):
        return record.capture
    return record.capture.file if isinstance(record, CleanCapture) else record.file
