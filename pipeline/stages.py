"""The I/O edge: each stage reads the previous stage's files, runs the pure functions, writes its own.

interim/extract/*.json   Capture (blocks)         ← raw/*
interim/clean/*.json     CleanCapture (roles)     ← extract
interim/structure/*.json Page                     ← clean
interim/merge/cells.json Cell list + notes        ← structure
processed/*.parquet      tables + report.json     ← merge (+ structure for the report)
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline import report
from pipeline.clean import clean
from pipeline.fetch.store import MANIFEST, read_rows
from pipeline.merge import merge, merge_axes, merge_documents
from pipeline.model import Axis, Capture, Cell, CleanCapture, Document, Page, from_json, to_json
from pipeline.publish import (ValidationError, publish_lock, safe_name, to_arrow, validate, write_tables,
                              write_text_atomic)
from pipeline.readers import MAX_BYTES, read_capture, too_big
from pipeline.readers.warc import is_warc, warc_captures
from pipeline.schemas import data_dictionary
from pipeline.structure import structure
from pipeline.tables import build_tables

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
    return sorted(p for p in raw.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.name not in NOT_CAPTURES
                  and not p.name.lower().startswith("readme"))


def _write_all(folder: Path, items: dict[str, str]) -> None:
    """Write one JSON file per capture and drop files of captures no longer present."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in items.items():
        write_text_atomic(folder / f"{safe_name(name)}.json", text)
    keep = {f"{safe_name(n)}.json" for n in items}
    for stale in folder.glob("*.json"):
        if stale.name not in keep:
            stale.unlink()


def _read_all(folder: Path, tp: type) -> list:
    return [from_json(tp, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def extract(paths: Paths, max_bytes: int = MAX_BYTES) -> None:
    manifest = read_manifest(paths.raw)
    out = {}
    for path in capture_files(paths.raw):
        row = manifest.get(path.name, {})
        size = path.stat().st_size
        if size > max_bytes:  # never loaded: memory stays bounded whatever lands in raw/
            out[path.name] = to_json(Capture(path.name, "unknown", "", [], row.get("url") or None,
                                             errors=[f"extract: {too_big(size, max_bytes)}"]))
            continue
        data = path.read_bytes()
        if is_warc(data):  # a web archive: one capture per HTML response record, "<file>#0001", …
            try:
                for rec in warc_captures(path.name, data):
                    out[rec.name] = to_json(_read_one(rec.name, rec.payload, rec.url, rec.date, rec.charset,
                                                      max_bytes))
            except Exception as exc:
                out[path.name] = to_json(Capture(path.name, "warc", "", [],
                                                 errors=[f"extract: cannot read the WARC file: {exc}"]))
            log.info("extract %s: WARC", path.name)
            continue
        capture = _read_one(path.name, data, row.get("url") or None, row.get("captured_at") or None,
                            row.get("charset") or None, max_bytes)
        out[path.name] = to_json(capture)
        log.info("extract %s: %s, %d blocks", path.name, capture.format, len(capture.blocks))
    _write_all(paths.stage("extract"), out)


def _read_one(name: str, data: bytes, url: str | None, captured_at: str | None, charset: str | None,
              max_bytes: int) -> Capture:
    """Read one capture; one that cannot be read is quarantined, and the others still go through."""
    try:
        return read_capture(name, data, url, captured_at, charset, max_bytes)
    except Exception as exc:
        return Capture(name, "unknown", "", [], url, captured_at, errors=[f"extract: cannot read the capture: {exc}"])


def _name(record: Capture | CleanCapture | Page) -> str:
    if isinstance(record, Page):
        return record.capture
    return record.capture.file if isinstance(record, CleanCapture) else record.file


def _map_stage(paths: Paths, source: str, target: str, tp: type, step) -> None:
    """Run a per-capture step over every file of the previous stage; one failure quarantines one capture."""
    out = {}
    for record in _read_all(paths.stage(source), tp):
        try:
            result = step(record)
        except Exception as exc:  # isolate: the other captures still go through
            log.exception("%s failed on %s", target, _name(record))
            result = _failed(record, target, exc)
        out[_name(result)] = to_json(result)
    _write_all(paths.stage(target), out)


def _failed(record, stage: str, exc: Exception):
    capture = record.capture if isinstance(record, CleanCapture) else record
    error = [f"{stage}: {type(exc).__name__}: {exc}"]
    if stage == "clean":
        return CleanCapture(Capture(capture.file, capture.format, capture.sha256, [], capture.url,
                                    capture.captured_at, errors=error), [])
    return Page(capture.file, capture.format, capture.sha256, "other", capture.url, capture.captured_at, errors=error)


def clean_stage(paths: Paths) -> None:
    _map_stage(paths, "extract", "clean", Capture, clean)


def structure_stage(paths: Paths) -> None:
    _map_stage(paths, "clean", "structure", CleanCapture, structure)


def merge_stage(paths: Paths) -> None:
    pages = _read_all(paths.stage("structure"), Page)
    cells, notes = merge(pages)
    folder = paths.stage("merge")
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in (("cells", cells), ("documents", merge_documents(pages)), ("axes", merge_axes(pages))):
        write_text_atomic(folder / f"{name}.json", "[\n" + ",\n".join(to_json(r) for r in records) + "\n]\n")
    write_text_atomic(folder / "notes.json", json.dumps(notes, indent=1, sort_keys=True, ensure_ascii=False))


def _read_list(path: Path, tp: type) -> list:
    return [from_json(tp, json.dumps(item)) for item in json.loads(path.read_text("utf-8"))]


def publish_stage(paths: Paths, strict: bool = False) -> int:
    """Returns the exit status: 0 all published, 1 some captures quarantined."""
    folder = paths.stage("merge")
    cells = _read_list(folder / "cells.json", Cell)
    documents = _read_list(folder / "documents.json", Document)
    axes = _read_list(folder / "axes.json", Axis)
    notes = json.loads((folder / "notes.json").read_text("utf-8"))
    pages = _read_all(paths.stage("structure"), Page)
    tables = build_tables(cells, documents, axes)
    problems = validate(tables)
    if problems:
        raise ValidationError("; ".join(problems[:20]))
    run = report.build(pages, cells, tables, notes)
    if strict and run["quarantined"]:
        raise ValidationError(f"{len(run['quarantined'])} capture(s) quarantined and --strict given; "
                              "nothing published")
    with publish_lock(paths.processed):
        written = write_tables(to_arrow(tables), paths.processed,
                               {"report.json": json.dumps(run, indent=1, sort_keys=True, ensure_ascii=False)})
    log.info("published %s", ", ".join(p.name for p in written))
    print(report.summary(run))
    for line in report.quarantine_lines(run):
        print(line, file=sys.stderr)
    return 1 if run["quarantined"] else 0


def write_dictionary(path: Path) -> None:
    write_text_atomic(path, data_dictionary())
