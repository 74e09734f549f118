"""Publish stage: interim/merge → processed/: the Parquet tables, report.json, datapackage.json and
report.html, validated row by row, then moved into place as one set (write.py).

A row that breaks the contract quarantines the captures behind it (with the rule it broke) and the
rest is published; a set with no cells or documents never replaces a published one unless asked for.
What did not change is not made again: each cell's history tables are kept in interim/publish
(kept.py), the site tables are copied when merge's cells, documents and axes are the last set's
(sitefacts.py), and a table whose rows are those of the file in place is copied (write.write_table).
The captures table and report.json are made in one pass over merge's captures, a batch at a time
(streamed.py), so memory holds one batch of captures whatever the corpus.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from pipeline.merge.stage import read_list
from pipeline.model import Axis, Cell, Document, from_json
from pipeline.publish import runreport as report
from pipeline.runtime import incremental
from pipeline.runtime.context import Context
from pipeline.runtime.lock import LockError, publish_lock
from pipeline.runtime.orchestrator import UnreadableInput
from pipeline.site.rules import last_year

if TYPE_CHECKING:
    from pipeline.merge import revisions
    from pipeline.publish.history import PerCell
    from pipeline.publish.sitefacts import Facts
    from pipeline.publish.validate import Problem
    from pipeline.report.page import Quality

log = logging.getLogger("pipeline")
COMPANIONS = ("report.json", "datapackage.json", "report.html")  # published with the tables, in the same set
SITE_INPUTS = ("cells.json", "documents.json", "axes.json")  # merge's outputs the site tables are made from


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
            _tell(context, _Said("", [], report.quarantine_lines(quarantined)))
            return 1 if quarantined else 0
        run = msgspec.json.decode(data, type=_Report)
        tally = report.Tally()
        for record in run.captures:
            tally.add(record)
        _tell(context, _said(tally, run.totals["rows"]))
        return 1 if run.quarantined else 0
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


class _Site(NamedTuple):
    """The tables a set writes from rows (the history's, and the site's when they were built), the
    site tables copied from the set in place (table → the key of its rows), the site's facts, and the
    errors publish gives the captures behind rows it left out."""

    tables: dict[str, list[dict]]
    copied: dict[str, str]
    facts: Facts
    added: dict[str, list[str]]


def _publish(context: Context, folder: Path, key: str) -> int:
    # the table writers (pyarrow) load only when a set is to be written: a run with nothing new skips them
    from pipeline.merge import revisions
    from pipeline.publish import datapackage, sitefacts, streamed
    from pipeline.publish.captures import Fates
    from pipeline.publish.kept import KeptHistory
    from pipeline.publish.write import ValidationError, write_set, write_table
    from pipeline.report import page

    publishing = context.stage_folder("publish")
    try:
        notes = from_json(dict[str, list[str]], (folder / "notes.json").read_bytes())
        history = from_json(revisions.History, (folder / revisions.FILE).read_bytes())
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise UnreadableInput("merge", None) from exc
    earlier = incremental.load(publishing, Published).get("set")
    kept = KeptHistory(publishing)
    site_key = _site_key(folder)
    site = _kept_site(context, site_key, earlier, history, kept) or _built_site(folder, history, kept)
    _refuse_emptying(
        context.processed, bool(site.facts.cells or site.facts.documents), bool(context.options.get("allow_empty"))
    )
    counts = site.facts.rows | {name: len(t) for name, t in site.tables.items() if name not in sitefacts.SITE_TABLES}
    tally = report.Tally()

    def made(name: str, rows: str) -> Path | None:
        """The table in place, when it was written from the same rows and is still what was written."""
        path = context.processed / f"{name}.parquet"
        if earlier is None or earlier.tables.get(name) != rows or not path.is_file():
            return None
        return path if _sha256(path) == earlier.files.get(path.name) else None

    keys = dict(site.copied)

    def stage(staging: Path) -> None:
        """Every file of the set into `staging`: the tables from rows (each freed once written), the
        site's copied, then the captures and report.json in one pass, datapackage.json, report.html."""
        for name in list(site.tables):
            keys[name] = write_table(name, site.tables.pop(name), staging / f"{name}.parquet", made)
        for name, rows in site.copied.items():
            if (same := made(name, rows)) is None:  # checked before the lock was taken: still so?
                raise LockError(f"another run published to {context.processed} while this one made its set: run again")
            shutil.copyfile(same, staging / f"{name}.parquet")
        latest = streamed.write_captures(
            folder / "captures.json", staging, Fates(notes, site.facts, site.added), tally, counts
        )
        if context.options.get("strict") and tally.quarantined:
            raise ValidationError(
                f"{len(tally.quarantined)} capture(s) quarantined and --strict given; nothing published"
            )
        (staging / COMPANIONS[1]).write_text(
            datapackage.render(datapackage.created(latest, site.facts.dated)), encoding="utf-8"
        )
        quality = page.Quality(
            tally.count,
            dict(tally.kinds),
            dict(tally.statuses),
            tally.furniture_removed,
            [page.Quarantined(q["file"], q["errors"]) for q in tally.quarantined],
        )
        (staging / COMPANIONS[2]).write_text(_report_html(context, staging, quality), encoding="utf-8")

    with publish_lock(context.processed):
        written = write_set(context.processed, stage)
    log.info("published %s", ", ".join(p.name for p in written))
    files = {p.name: _sha256(p) for p in sorted(context.processed.iterdir()) if p.name in _published_names(written)}
    kept.save()
    sitefacts.keep(
        publishing, site_key, {n: keys[n] for n in sitefacts.SITE_TABLES}, None if site.added else site.facts
    )
    incremental.save(publishing, {"set": Published(key, files, keys)})
    _tell(context, _said(tally, counts | {"captures": tally.count}))
    return 1 if tally.quarantined else 0


def _site_key(merged: Path) -> str:
    """What the site tables are made from: merge's cells, documents and axes, and the years that are valid."""
    return incremental.key("publish", "site", [_sha256(merged / n) for n in SITE_INPUTS], last_year())


def _kept_site(
    context: Context, site_key: str, earlier: Published | None, history: revisions.History, per_cell: PerCell
) -> _Site | None:
    """The site as the last set had it, when its inputs are the same, each of its tables is still in
    place as written, and the history's tables pass the contract against it; else None."""
    from pipeline.publish import sitefacts
    from pipeline.publish.history import history_tables
    from pipeline.publish.validate import validate

    found = sitefacts.kept(context.stage_folder("publish"), site_key)
    if found is None or earlier is None:
        return None
    keys, facts = found
    for name in sitefacts.SITE_TABLES:
        path = context.processed / f"{name}.parquet"
        if (
            earlier.tables.get(name) != keys[name]
            or not path.is_file()
            or _sha256(path) != earlier.files.get(path.name)
        ):
            return None
    tables = history_tables(history, per_cell)
    if validate(tables, known={"cells": set(facts.cell_ids), "documents": set(facts.documents)}):
        return None  # the set is made whole again, and what breaks the contract left out
    return _Site(tables, keys, facts, {})


def _built_site(folder: Path, history: revisions.History, per_cell: PerCell) -> _Site:
    from pipeline.publish import sitefacts

    try:
        cells = read_list(folder / "cells.json", Cell)
        documents = read_list(folder / "documents.json", Document)
        axes = read_list(folder / "axes.json", Axis)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise UnreadableInput("merge", None) from exc
    cells, documents, tables, added = _contracted(cells, documents, axes, history, per_cell)
    return _Site(tables, {}, sitefacts.facts(cells, documents, tables), added)


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


class _Report(msgspec.Struct):
    """report.json, as a run with nothing to publish reads it to tell it again."""

    captures: list[report.Described]
    quarantined: list[dict]
    totals: dict


def _said(tally: report.Tally, rows: dict[str, int]) -> _Said:
    return _Said(report.summary(tally, rows), report.warning_lines(tally), report.quarantine_lines(tally.quarantined))


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
    per_cell: PerCell,
) -> tuple[list[Cell], list[Document], dict[str, list[dict]], dict[str, list[str]]]:
    """The tables with every cell or document whose rows break a rule left out, and the errors that
    quarantine its captures (capture → an error naming the rule)."""
    from pipeline.merge import revisions
    from pipeline.publish.tables import build_tables
    from pipeline.publish.validate import validate
    from pipeline.publish.write import ValidationError

    added: dict[str, list[str]] = {}
    while True:
        tables = build_tables(cells, documents, axes, history, per_cell)
        problems = validate(tables)
        orphans = [p for p in problems if p.owner is None]
        if orphans:
            raise ValidationError("; ".join(p.message for p in orphans[:20]))
        if not problems:
            return cells, documents, tables, added
        by_owner: dict[str, list[Problem]] = {}
        for problem in problems:
            by_owner.setdefault(problem.owner or "", []).append(problem)
        sources = {c.page.cell_id: c.sources for c in cells} | {d.document_id: d.sources for d in documents}
        for owner, found in by_owner.items():
            rules = "; ".join(sorted({f"{p.rule}: {p.message}" for p in found}))
            for file in sources.get(owner, []):
                added.setdefault(file, []).append(f"publish: breaks the published contract ({rules})")
        if not any(owner in sources for owner in by_owner):  # nothing left to leave out: the rows are ours
            raise ValidationError("; ".join(p.message for p in problems[:20]))
        cells = [c for c in cells if c.page.cell_id not in by_owner]
        documents = [d for d in documents if d.document_id not in by_owner]
        history = revisions.History(history.refreshes, [h for h in history.cells if h.cell_id not in by_owner])


def _refuse_emptying(processed: Path, captured: bool, allowed: bool) -> None:
    """An empty capture folder (a share that failed to mount) must not wipe out a published set."""
    if allowed or captured:
        return
    import pyarrow.parquet as pq

    from pipeline.publish.write import ValidationError

    published = processed / "cells.parquet"
    if not published.exists():
        return
    with pq.ParquetFile(published) as file:  # one file: pq.read_table goes through pyarrow.dataset and pandas
        held = file.read()
    count = sum(held.column("captured").to_pylist()) if "captured" in held.column_names else held.num_rows
    if count:
        raise ValidationError(
            f"the new set has no cells or documents, and {published} has {count} captured cells: is the "
            "capture folder the right one (an empty or unmounted share?). Nothing was replaced; pass "
            "--allow-empty to publish an empty set on purpose"
        )


def _report_html(context: Context, staged: Path, quality: Quality) -> str:
    """report.html drawn from the staged tables and what it states of the captures."""
    from pipeline.report import page

    charts = page.Charts(context.stage_folder("report"))
    html = page.render(page.load(staged, quality), charts)
    charts.prune()
    return html
