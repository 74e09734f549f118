"""Publish stage: interim/merge → processed/*.parquet, report.json and datapackage.json, validated, then
swapped into place in one step."""

from __future__ import annotations

import logging
import sys

from pipeline.merge.stage import read_list
from pipeline.model import Axis, Cell, Document, from_json, to_pretty_json
from pipeline.publish import datapackage
from pipeline.publish import runreport as report
from pipeline.publish.tables import build_tables
from pipeline.publish.write import ValidationError, to_arrow, validate, write_tables
from pipeline.runtime.lock import publish_lock
from pipeline.runtime.orchestrator import Paths

log = logging.getLogger("pipeline")


def publish_stage(paths: Paths, strict: bool = False) -> int:
    """Returns the exit status: 0 all published, 1 some captures quarantined."""
    folder = paths.stage("merge")
    cells = read_list(folder / "cells.json", Cell)
    documents = read_list(folder / "documents.json", Document)
    axes = read_list(folder / "axes.json", Axis)
    notes = from_json(dict[str, list[str]], (folder / "notes.json").read_bytes())
    described = from_json(list[dict], (folder / "captures.json").read_bytes())
    tables = build_tables(cells, documents, axes, described, notes)
    problems = validate(tables)
    if problems:
        raise ValidationError("; ".join(problems[:20]))
    run = report.build(described, cells, documents, tables, notes)
    if strict and run["quarantined"]:
        raise ValidationError(f"{len(run['quarantined'])} capture(s) quarantined and --strict given; nothing published")
    with publish_lock(paths.processed):
        written = write_tables(
            to_arrow(tables),
            paths.processed,
            {"report.json": to_pretty_json(run), "datapackage.json": datapackage.render(tables)},
        )
    log.info("published %s", ", ".join(p.name for p in written))
    print(report.summary(run))
    for line in report.quarantine_lines(run):
        print(line, file=sys.stderr)
    return 1 if run["quarantined"] else 0
