"""Publish stage: interim/merge → processed/: the Parquet tables, report.json, datapackage.json and
report.html, validated row by row, then moved into place as one set (write.py).

A row that breaks the contract quarantines the captures behind it (with the rule it broke) and the
rest is published; a set with no cells or documents never replaces a published one unless asked for.
A new set is still built whole from merge's outputs, but what did not change is not made again: each
cell's history tables are kept in interim/publish (kept.py), and a table whose rows are those of the
file in place is copied (write.write_table), so one new capture costs about its own cell's work.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

import msgspec

from pipeline.merge.stage import read_list
from pipeline.model import Axis, Cell, Document, from_json, write_pretty
from pipeline.publish import runreport as report
from pipeline.runtime import incremental
from pipeline.runtime.context import Context
from pipeline.runtime.lock import publish_lock
from pipeline.runtime.orchestrator import UnreadableInput
from pipeline.site.rules import last_year

if TYPE_CHECKING:
    from pipeline.merge import revisions
    from pipeline.publish.history import PerCell
    from pipeline.publish.validate import Problem
    from pipeline.report.page import Run

log = logging.getLogger("pipeline")
WARNINGS_SHOWN = 5  # the end-of-run summary counts warnings and shows the first few
COMPANIONS = ("report.json", "datapackage.json", "report.html")  # published with the tables, in the same set


class Published(msgspec.Struct):
    """What publish's index keeps: the key the set was made from, and the hash of each file it wrote."""

    key: str
    files: dict[str, str]
    tables: dict[str, str] = {}  # table → the key of the rows its file was written from (write.write_table)


def publish_stage(context: Context) -> int:
    """Returns the exit status: 0 all published, 1 some captures quarantined. A set made from the same
    merge outputs, code and options as the one in place, and still intact there, is not written again."""
    folder = context.stage_folder("merge")
    key = _key(context, folder)
    if _unchanged(context, key):
        data = (context.processed / "report.json").read_bytes()
        if context.options.get("quiet"):  # only the quarantined are told: the rest of the report is skipped
            quarantined = msgspec.json.decode(data, type=_Quarantined).quarantined
            _tell(context, _Said("", [], report.quarantine_lines({"quarantined": quarantined})))
            return 1 if quarantined else 0
        run = msgspec.json.decode(data)
        _tell(context, _said(run))
        return 1 if run["quarantined"] else 0
    with _collector_paused():
        return _publish(context, folder, key)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a set is built and written: merge's outputs and the rows made
    from them are trees of plain values and Structs, with no cycle to free, and each full collection
    walked all of them again (~0.25 s of CPU, a quarter of a publish at 10,000 captures). The
    collector runs again, as before, once publish is done."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _publish(context: Context, folder: Path, key: str) -> int:
    # the table writers (pyarrow) load only when a set is to be written: a run with nothing new skips them
    from pipeline.merge import revisions
    from pipeline.publish import datapackage
    from pipeline.publish.kept import KeptHistory
    from pipeline.publish.write import ValidationError, write_set
    from pipeline.report import page

    try:
        cells = read_list(folder / "cells.json", Cell)
        documents = read_list(folder / "documents.json", Document)
        axes = read_list(folder / "axes.json", Axis)
        notes = from_json(dict[str, list[str]], (folder / "notes.json").read_bytes())
        described = from_json(list[dict], (folder / "captures.json").read_bytes())
        history = from_json(revisions.History, (folder / revisions.FILE).read_bytes())
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise UnreadableInput("merge", None) from exc
    kept = KeptHistory(context.stage_folder("publish"))
    cells, documents, tables = _contracted(cells, documents, axes, history, described, notes, kept)
    run = report.build(described, cells, documents, tables, notes)
    if context.options.get("strict") and run["quarantined"]:
        raise ValidationError(f"{len(run['quarantined'])} capture(s) quarantined and --strict given; nothing published")
    _refuse_emptying(context.processed, tables, bool(context.options.get("allow_empty")))
    # what the run's end prints, and the few fields of each capture report.html states, taken now: the
    # capture records leave memory once report.json is written, before the page is drawn
    said, shown, quarantined = _said(run), page.shown(run), bool(run["quarantined"])
    # report.json is written a capture at a time when the set is staged, never held whole as text
    companions: dict[str, str | Callable[[BinaryIO], None]] = {
        COMPANIONS[0]: partial(write_pretty, record=run),
        COMPANIONS[1]: datapackage.render(tables),
    }
    del cells, documents, axes, history, described, notes, run  # from here on only the rows are needed
    earlier = incremental.load(context.stage_folder("publish"), Published).get("set")

    def made(name: str, rows: str) -> Path | None:
        """The table in place, when it was written from the same rows and is still what was written."""
        path = context.processed / f"{name}.parquet"
        if earlier is None or earlier.tables.get(name) != rows or not path.is_file():
            return None
        return path if _sha256(path) == earlier.files.get(path.name) else None

    with publish_lock(context.processed):
        written, keys = write_set(
            tables,
            context.processed,
            companions,
            lambda staged: {COMPANIONS[2]: _report_html(context, staged, shown)},
            made,
        )
    log.info("published %s", ", ".join(p.name for p in written))
    files = {p.name: _sha256(p) for p in sorted(context.processed.iterdir()) if p.name in _published_names(written)}
    kept.save()
    incremental.save(context.stage_folder("publish"), {"set": Published(key, files, keys)})
    _tell(context, said)
    return 1 if quarantined else 0


def _published_names(tables: list[Path]) -> set[str]:
    return {p.name for p in tables} | set(COMPANIONS)


def _key(context: Context, merged: Path) -> str:
    """What the published set is made from: merge's outputs, the options, the years that are valid."""
    inputs = sorted((p.name, _sha256(p)) for p in merged.glob("*.json"))
    options = [context.options.get(k) for k in ("strict", "allow_empty")]
    return incremental.key("publish", inputs, options, last_year())


def _unchanged(context: Context, key: str) -> bool:
    published = incremental.load(context.stage_folder("publish"), Published).get("set")
    if published is None or published.key != key:
        return False
    return all(
        (context.processed / n).is_file() and _sha256(context.processed / n) == h for n, h in published.files.items()
    )


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class _Said(NamedTuple):
    """What the end of a run prints of its report."""

    summary: str
    warnings: list[str]
    quarantined: list[str]


class _Quarantined(msgspec.Struct):
    """What a quiet run with nothing to publish reads of report.json."""

    quarantined: list[dict]


def _said(run: dict) -> _Said:
    return _Said(report.summary(run), _warnings(run), report.quarantine_lines(run))


def _tell(context: Context, said: _Said) -> None:
    """The run's table, its warnings and healed files (unless -q), and each quarantined capture."""
    if not context.options.get("quiet"):
        print(said.summary)
        for line in said.warnings + context.events:
            print(line, file=sys.stderr)
    for line in said.quarantined:
        print(line, file=sys.stderr)


def _contracted(
    cells: list[Cell],
    documents: list[Document],
    axes: list[Axis],
    history: revisions.History,
    described: list[dict],
    notes: dict[str, list[str]],
    per_cell: PerCell,
) -> tuple[list[Cell], list[Document], dict[str, list[dict]]]:
    """The tables with every cell or document whose rows break a rule left out, and its captures
    quarantined (an error naming the rule is added to each capture's record in `described`)."""
    from pipeline.merge import revisions
    from pipeline.publish.tables import build_tables
    from pipeline.publish.validate import validate
    from pipeline.publish.write import ValidationError

    while True:
        tables = build_tables(cells, documents, axes, history, described, notes, per_cell)
        problems = validate(tables)
        orphans = [p for p in problems if p.owner is None]
        if orphans:
            raise ValidationError("; ".join(p.message for p in orphans[:20]))
        if not problems:
            return cells, documents, tables
        by_owner: dict[str, list[Problem]] = {}
        for problem in problems:
            by_owner.setdefault(problem.owner or "", []).append(problem)
        sources = {c.page.cell_id: c.sources for c in cells} | {d.document_id: d.sources for d in documents}
        for owner, found in by_owner.items():
            rules = "; ".join(sorted({f"{p.rule}: {p.message}" for p in found}))
            for record in described:
                if record["file"] in sources.get(owner, []):
                    record["errors"] = [*record["errors"], f"publish: breaks the published contract ({rules})"]
        if not any(owner in sources for owner in by_owner):  # nothing left to leave out: the rows are ours
            raise ValidationError("; ".join(p.message for p in problems[:20]))
        cells = [c for c in cells if c.page.cell_id not in by_owner]
        documents = [d for d in documents if d.document_id not in by_owner]
        history = revisions.History(history.refreshes, [h for h in history.cells if h.cell_id not in by_owner])


def _refuse_emptying(processed: Path, tables: dict[str, list[dict]], allowed: bool) -> None:
    """An empty capture folder (a share that failed to mount) must not wipe out a published set."""
    if allowed or any(row["captured"] for row in tables["cells"]) or tables["documents"]:
        return
    import pyarrow.parquet as pq

    from pipeline.publish.write import ValidationError

    published = processed / "cells.parquet"
    if not published.exists():
        return
    held = pq.read_table(published)
    count = sum(held.column("captured").to_pylist()) if "captured" in held.column_names else held.num_rows
    if count:
        raise ValidationError(
            f"the new set has no cells or documents, and {published} has {count} captured cells: is the "
            "capture folder the right one (an empty or unmounted share?). Nothing was replaced; pass "
            "--allow-empty to publish an empty set on purpose"
        )


def _report_html(context: Context, staged: Path, shown: Run) -> str:
    """report.html drawn from the staged tables and what it states of the captures (`page.shown`)."""
    from pipeline.report import page

    charts = page.Charts(context.stage_folder("report"))
    html = page.render(page.load(staged, shown), charts)
    charts.prune()
    return html


def _warnings(run: dict) -> list[str]:
    """A count of the run's warnings, with the first few, so they are seen and not only kept in report.json."""
    found = [(c["file"], w) for c in run["captures"] for w in c["warnings"]]
    if not found:
        return []
    lines = [f"{len(found)} warning(s) in {len({f for f, _ in found})} capture(s); the first {WARNINGS_SHOWN}:"]
    lines += [f"  warning: {file}: {text}" for file, text in found[:WARNINGS_SHOWN]]
    if len(found) > WARNINGS_SHOWN:
        lines.append("  (all of them: processed/report.json, under each capture's warnings)")
    return lines
