"""processed/report.html: a first look at the published tables for people who would rather look than read.

One static page, no server and no external assets: each chart is SVG (report/svg.py), embedded as a
data URI. Every figure is computed from the published Parquet files and report.json only, and each
number a reader (or the tests) may check carries a `data-metric` attribute. Deterministic: no ids, dates
or salts are written, so the same tables give the same page. Each chart is drawn from a small
plain-data summary; the SVG is kept under that summary's hash, so a run whose new captures leave a
chart's data as it was does not draw it again. A table is read as plain columns (lists by column name,
`Columns`): the page counts and sorts a few thousand values, which needs no dataframe library (pandas'
import alone cost publish ~0.2 s a run).
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import msgspec

from pipeline.publish.write import read_published
from pipeline.report import svg
from pipeline.runtime import incremental
from pipeline.runtime.atomic import write_text_atomic
from pipeline.site import matrix

TAGS = {"S": "seminal studies", "K": "key studies", "R": "reviews", "G": "guidance"}
# Okabe–Ito: distinguishable with the common colour-vision deficiencies
TAG_COLOURS = {"S": "#0072B2", "K": "#E69F00", "R": "#009E73", "G": "#CC79A7"}
MATRIX_COLOURS = {"alcohol": "#0072B2", "drug": "#D55E00"}
YEAR_BIN = 5  # years per bar of the years histogram
Columns = dict[str, list]  # a table as its columns, each a list of the column's values in the table's order


class Charts:
    """SVGs by the hash of (code, chart, data), in `folder` (None: draw every time)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def svg(self, draw: Callable, data) -> str:
        name = incremental.key("report", draw.__name__, data) + ".svg.b64"
        self.used.add(name)
        if self.folder and (self.folder / name).exists():
            return (self.folder / name).read_text("ascii")
        text = base64.b64encode(draw(data).encode("utf-8")).decode("ascii")
        if self.folder:
            write_text_atomic(self.folder / name, text)
        return text

    def prune(self) -> None:
        """Drop the charts this page no longer shows."""
        for path in self.folder.glob("*.svg.b64") if self.folder else ():
            if path.name not in self.used:
                path.unlink()


# The columns the page reads of each table: only these are loaded, so a table's wide text columns
# (annotations, sections' text) are never read, however large the corpus.
COLUMNS = {
    "cells": ("cell_id", "captured"),
    "entries": ("cell_id", "types", "year", "issuer"),
    "works": ("work_id", "title", "year", "cell_ids"),
    "links": ("cell_id", "target_cell_id"),
    "documents": ("document_id",),
    "cell_revisions": ("cell_id", "revision", "revised", "dated_by", "entry_count", "truncated"),
    "entry_history": ("work_key", "title", "from_revision"),
    "changes": ("cell_id", "change", "to_revision", "before", "after", "work_key"),
}


class Told(msgspec.Struct):
    """What the page reads of one capture in report.json: its other fields are never decoded."""

    kind: str
    status: str
    furniture_removed: int


class Quarantined(msgspec.Struct):
    file: str
    errors: list[str]


class Run(msgspec.Struct):
    """report.json as the page reads it: a few small fields per capture, not the whole record (a
    generic decode held about 1.3 KB per capture)."""

    captures: list[Told]
    quarantined: list[Quarantined]


class Quality(msgspec.Struct):
    """What the page states of a run's captures: counts, and the quarantined. Publish counts them as it
    writes report.json (runreport.Tally); the report stage, from report.json (`Run`)."""

    captures: int
    kinds: dict[str, int]
    statuses: dict[str, int]
    furniture_removed: int
    quarantined: list[Quarantined]


def counted(run: Run) -> Quality:
    return Quality(
        len(run.captures),
        dict(Counter(c.kind for c in run.captures)),
        dict(Counter(c.status for c in run.captures)),
        sum(c.furniture_removed for c in run.captures),
        run.quarantined,
    )


def load(processed: Path, quality: Quality | None = None) -> dict:
    """The columns the page reads of each table in `processed`, and what it states of the captures
    (from its report.json unless `quality` is given)."""
    tables: dict = {
        n: read_published(processed / f"{n}.parquet", list(columns)).to_pydict() for n, columns in COLUMNS.items()
    }
    if quality is None:
        quality = counted(msgspec.json.decode((processed / "report.json").read_bytes(), type=Run))
    tables["run"] = quality
    return tables


def metrics(t: dict) -> dict[str, int]:
    """The numbers the page states, computed from the tables (the tests compare them with the Parquet)."""
    entries = t["entries"]
    tags = Counter(tag for types in entries["types"] for tag in types)
    xref = _cross_references(t["links"])
    return {
        "cells": sum(t["cells"]["captured"]),
        "entries": len(entries["cell_id"]),
        "documents": len(t["documents"]["document_id"]),
        **{f"entries-{tag}": tags.get(tag, 0) for tag in TAGS},
        "cross-references": sum(n for _, _, n in xref),
        "cross-reference-pairs": len(xref),
    }


def _cross_references(links: Columns) -> list[tuple[str, str, int]]:
    """Cell → other cell, with the number of links and plain-text mentions, by the two cell ids."""
    pairs = Counter(
        (source, target)
        for source, target in zip(links["cell_id"], links["target_cell_id"])
        if source is not None and target is not None and source != target
    )
    return [(source, target, n) for (source, target), n in sorted(pairs.items())]


def _figure(charts: Charts, draw: Callable, data, alt: str) -> str:
    return (
        f'<figure><img class="chart" alt="{html.escape(alt)}" '
        f'src="data:image/svg+xml;base64,{charts.svg(draw, data)}"></figure>'
    )


def _position(cell_id: str) -> tuple[str, int, int]:
    name, code = cell_id.split("-")
    return name, "ABCDE".index(code[0]), int(code[1]) - 1


def heatmap(charts: Charts, entries: Columns, cells: Columns, name: str) -> str:
    counts = {tag: [[0] * 5 for _ in range(5)] for tag in TAGS}
    captured = [[False] * 5 for _ in range(5)]
    for cell_id, was_captured in zip(cells["cell_id"], cells["captured"]):
        m, col, row = _position(cell_id)
        if m == name and was_captured:
            captured[row][col] = True
    for cell_id, types in zip(entries["cell_id"], entries["types"]):
        m, col, row = _position(cell_id)
        if m == name:
            for tag in types:
                counts[tag][row][col] += 1
    return _figure(
        charts,
        _draw_heatmap,
        {"matrix": name, "counts": counts, "captured": captured},
        f"{name} matrix heatmap of entries per cell, one panel per tag; cells not captured in grey",
    )


def _draw_heatmap(data: dict) -> str:
    name = data["matrix"]
    return svg.heatmap(
        f"{name.capitalize()} matrix: entries per cell by tag (n/c, hatched: cell not captured)",
        {tag: f"{tag}: {label}" for tag, label in TAGS.items()},
        data["counts"],
        data["captured"],
        [f"{r} {matrix.ROWS[name][r]}" for r in range(1, 6)],
    )


def years(charts: Charts, entries: Columns) -> str:
    by_matrix: dict[str, list[int]] = {m: [] for m in matrix.MATRICES}
    for cell_id, year in zip(entries["cell_id"], entries["year"]):
        if year is not None:
            by_matrix[cell_id.split("-")[0]].append(year)
    by_matrix = {m: sorted(found) for m, found in by_matrix.items()}
    return _figure(charts, _draw_years, by_matrix, "histogram of entry years")


def _draw_years(by_matrix: dict[str, list[int]]) -> str:
    return svg.stacked_histogram(
        "Year of the listed documents (5-year bins)",
        {m: by_matrix[m] for m in matrix.MATRICES},
        {m: MATRIX_COLOURS[m] for m in matrix.MATRICES},
        YEAR_BIN,
        "year of publication (entries per bin)",
    )


def issuers(charts: Charts, entries: Columns, top: int = 12) -> str:
    """The `top` issuers by entries, most first, ties by name; drawn from the last up."""
    counts = Counter(issuer for issuer in entries["issuer"] if issuer is not None)
    ranked = sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:top]
    bars = [[issuer[:60], n] for issuer, n in ranked[::-1]]
    return _figure(charts, _draw_issuers, {"top": top, "bars": bars}, "bar chart of the most frequent issuers")


def _draw_issuers(data: dict) -> str:
    return svg.bars(
        f"Most frequent issuers (top {data['top']})", [(b[0], b[1]) for b in data["bars"][::-1]], "#0072B2", "entries"
    )


def graph(charts: Charts, links: Columns) -> str:
    arrows = [[source, target, n] for source, target, n in _cross_references(links)]
    return _figure(charts, _draw_graph, arrows, "graph of cross-references between matrix cells")


def _draw_graph(arrows: list[list]) -> str:
    return svg.cell_graph(
        "Cross-references between cells (arrow: cell → cell it links to or names; width: how often)",
        {m: MATRIX_COLOURS[m] for m in matrix.MATRICES},
        [(source, target, n) for source, target, n in arrows],
    )


def _table(headers: list[str], rows: list[list], metric: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    attr = f' data-metric="{metric}"' if metric else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def shared_works(works: Columns) -> str:
    """Works listed by more than one cell, under the canonical title the works table gives them."""
    shared = sorted(
        (title, work_id, year, cell_ids)
        for work_id, title, year, cell_ids in zip(works["work_id"], works["title"], works["year"], works["cell_ids"])
        if len(cell_ids) > 1
    )
    rows = [
        [title, "" if year is None else year, len(cell_ids), ", ".join(cell_ids)] for title, _, year, cell_ids in shared
    ]
    if not rows:
        return "<p>No work is listed in more than one cell of these tables.</p>"
    return _table(["work (canonical title)", "year", "cells", "listed in"], rows, "shared-works")


MOST_CHANGED = 10  # cells listed in the table of the cells that changed most
CHANGE_KINDS = ("added", "removed", "retitled", "retagged", "re-annotated")


def _rows(table: Columns, *names: str) -> list[tuple]:
    """The table's rows in its order, each the values of the columns named."""
    return list(zip(*(table[n] for n in names)))


def _most_changed(revisions: Columns, changes: Columns) -> list[tuple[str, int, Counter[str]]]:
    """(cell, revisions, changes by kind), most changes first, then most revisions, then cell id."""
    kinds: dict[str, Counter[str]] = {}
    for cell, change in _rows(changes, "cell_id", "change"):
        kinds.setdefault(cell, Counter())[change] += 1
    counted = Counter(revisions["cell_id"])
    found = [(cell, n, kinds.get(cell, Counter())) for cell, n in counted.items()]
    return sorted(found, key=lambda c: (-c[2].total(), -c[1], c[0]))


def _told(change: tuple, titles: dict[str, str]) -> str:
    """`change`: (change, before, after, work_key)."""
    kind, before, after, work_key = change
    if kind == "retitled":
        return f"retitled “{before}” → “{after}”"
    told = f"{kind} “{titles[work_key]}”"
    return told + (f": {before} → {after}" if kind == "retagged" else "")


def history(revisions: Columns, listings: Columns, changes: Columns) -> str:
    """The cells that changed most between the revisions captured, and the timeline of the first."""
    ranked = _most_changed(revisions, changes)
    if not ranked:
        return "<p>No cell was captured.</p>"
    rows = [[cell, n, *(kinds[k] for k in CHANGE_KINDS), kinds.total()] for cell, n, kinds in ranked[:MOST_CHANGED]]
    out = (
        f'<p><span data-metric="revisions">{len(revisions["cell_id"])}</span> revisions of {len(ranked)} cells; '
        f'<span data-metric="changes">{len(changes["cell_id"])}</span> changes between consecutive revisions.</p>'
        + _table(["cell", "revisions", *CHANGE_KINDS, "changes"], rows, "most-changed")
    )
    cell = ranked[0][0]
    told = [
        c for c in _rows(changes, "cell_id", "to_revision", "change", "before", "after", "work_key") if c[0] == cell
    ]
    # each work by the title it was first listed under (the key is made from it)
    titles: dict[str, str] = {}
    for work_key, title, _ in sorted(_rows(listings, "work_key", "title", "from_revision"), key=lambda r: r[2]):
        if title is not None:
            titles.setdefault(work_key, title)
    timeline = []
    revised = _rows(revisions, "cell_id", "revision", "revised", "dated_by", "entry_count", "truncated")
    for _, revision, date, dated_by, entry_count, truncated in (r for r in revised if r[0] == cell):
        said = "; ".join(_told(c[2:], titles) for c in told if c[1] == revision)
        when = "undated" if date is None else f"{date} ({dated_by})"
        timeline.append([revision, when, entry_count, "cut off" if truncated else "complete", said or "–"])
    return (
        out
        + f"<h3>Timeline of {html.escape(cell)}</h3>"
        + _table(["revision", "date", "entries", "entry list", "what changed"], timeline, "timeline")
    )


def quality(run: Quality) -> str:
    rows = [
        ["captures read", f'<b data-metric="captures">{run.captures}</b>'],
        ["page kinds", ", ".join(f"{n} {k}" for k, n in sorted(run.kinds.items()))],
        ["status", ", ".join(f"{n} {s}" for s, n in sorted(run.statuses.items()))],
        ["furniture blocks removed", f'<b data-metric="furniture-removed">{run.furniture_removed}</b>'],
    ]
    out = "<table><tbody>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</tbody></table>"
    quarantined = [[q.file, "; ".join(q.errors)] for q in run.quarantined]
    out += "<h3>Quarantined captures</h3>" + (
        _table(["capture", "reason"], quarantined, "quarantined")
        if quarantined
        else '<p data-metric="quarantined">None.</p>'
    )
    return out


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}figure{margin:1em 0}img.chart{max-width:100%}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left}
.numbers{display:flex;gap:1em;flex-wrap:wrap}.numbers div{background:#f3f6fa;padding:.6em 1em;border-radius:6px}
.numbers b{display:block;font-size:1.5em}"""


def render(t: dict, charts: Charts | None = None) -> str:
    charts = charts or Charts(None)
    m = metrics(t)
    boxes = [
        ("cells", "cells captured (of 50)"),
        ("entries", "entries"),
        *[(f"entries-{tag}", f"tagged {tag}") for tag in TAGS],
        ("documents", "analysis pages"),
        ("cross-references", "cross-references"),
    ]
    numbers = "".join(f'<div><b data-metric="{k}">{m[k]}</b>{label}</div>' for k, label in boxes)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Effectiveness Bank matrices: data report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Effectiveness Bank treatment matrices: data report</h1>",
        "<p>Computed from the published tables in this folder (cells, entries, works, links, documents, "
        "cell_revisions, entry_history, changes and report.json).</p>",
        f'<div class="numbers">{numbers}</div>',
        "<h2>Entries per cell, by tag</h2>",
        "<p>An entry with two tags counts under both. A hatched cell marked n/c was not captured: its "
        "entries are unknown, not zero.</p>",
        *[heatmap(charts, t["entries"], t["cells"], name) for name in matrix.MATRICES],
        "<h2>How recent is the evidence</h2>",
        years(charts, t["entries"]),
        "<h2>Who issues the guidance and reports</h2>",
        issuers(charts, t["entries"]),
        "<h2>Cross-references between cells</h2>",
        f'<p><span data-metric="cross-reference-pairs">{m["cross-reference-pairs"]}</span> pairs of cells, '
        f"{m['cross-references']} links and mentions in all.</p>",
        graph(charts, t["links"]),
        "<h2>Works cited in more than one cell</h2>",
        shared_works(t["works"]),
        "<h2>How the cells changed</h2>",
        history(t["cell_revisions"], t["entry_history"], t["changes"]),
        "<h2>Quality of this run</h2>",
        quality(t["run"]),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
