"""The analyst's side: the HTML data report (its numbers, and in a real browser), the data package, the
notebook, and the command line's help and errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import frictionless
import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from lxml import html
from nbclient import NotebookClient
from PIL import Image

from pipeline.cli import main
from pipeline.publish.schemas import TABLES

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _metrics(page: html.HtmlElement) -> dict[str, str]:
    return {el.get("data-metric"): el.text_content().strip() for el in page.xpath("//*[@data-metric]")}


def _expected(run) -> dict[str, str]:
    """The same numbers, straight from the Parquet files."""
    entries, links = run.table("entries"), run.table("links")
    tags = Counter(tag for types in entries.types for tag in types)
    xref = links[links.cell_id.notna() & links.target_cell_id.notna() & (links.cell_id != links.target_cell_id)]
    return {
        "cells": str(int(run.table("cells").captured.sum())),
        "entries": str(len(entries)),
        **{f"entries-{t}": str(tags[t]) for t in "SKRG"},
        "cross-references": str(len(xref)),
        "cross-reference-pairs": str(len(xref[["cell_id", "target_cell_id"]].drop_duplicates())),
        "documents": str(len(run.table("documents"))),
        "captures": str(len(run.report["captures"])),
    }


@pytest.mark.parametrize("corpus", ["seeds", "site"])
def test_the_report_states_the_numbers_the_tables_hold(corpus, request):
    run = request.getfixturevalue(corpus)
    page = html.fromstring((run.processed / "report.html").read_bytes())
    shown = _metrics(page)
    expected = _expected(run)
    assert {k: shown[k] for k in expected} == expected
    if corpus == "seeds":  # the seed figures the issues state
        assert (shown["cells"], shown["entries"], shown["entries-G"]) == ("3", "53", "22")
    shared = page.xpath('//table[@data-metric="shared-works"]/tbody/tr')
    entries = run.table("entries")
    assert len(shared) == int((entries.groupby("work_id").cell_id.nunique() > 1).sum())
    assert len(page.xpath("//img[@class='chart']")) == 5


def test_the_report_is_the_same_for_the_same_tables(seeds, tmp_path):
    again = tmp_path / "processed"
    shutil.copytree(seeds.processed, again)
    (again / "report.html").unlink()
    assert main(["report", "-q", "--processed", str(again), "--interim", str(tmp_path / "interim")]) == 0
    assert (again / "report.html").read_bytes() == (seeds.processed / "report.html").read_bytes()


def test_charts_whose_data_did_not_change_are_not_drawn_again(seeds, tmp_path, monkeypatch):
    from pipeline.report import page as datareport

    again, interim = tmp_path / "processed", tmp_path / "interim"
    shutil.copytree(seeds.processed, again)
    report = ["report", "-q", "--processed", str(again), "--interim", str(interim)]
    assert main(report) == 0
    drawn = sorted((interim / "report").iterdir())
    assert len(drawn) == 5  # one per chart

    class NoDrawing:
        def __getattr__(self, chart: str):
            raise AssertionError(f"a chart was drawn again ({chart})")

    monkeypatch.setattr(datareport, "svg", NoDrawing())
    assert main(report) == 0
    assert (again / "report.html").read_bytes() == (seeds.processed / "report.html").read_bytes()
    monkeypatch.undo()
    t = datareport.load(again)
    drug = [n for n, cell in enumerate(t["entries"]["cell_id"]) if cell.startswith("drug")]
    t["entries"] = {k: [v[n] for n in drug] for k, v in t["entries"].items()}  # the alcohol heatmap's data changes
    charts = datareport.Charts(interim / "report")
    datareport.render(t, charts)
    charts.prune()
    kept = sorted((interim / "report").iterdir())
    assert len(kept) == 5 and len(set(kept) - set(drawn)) == 3  # alcohol heatmap, years, issuers redrawn


PROBE = """<script>window.addEventListener("load", () => {
  const charts = [...document.querySelectorAll("img, svg")].map(el => {
    const box = el.getBoundingClientRect();
    return {tag: el.tagName, loaded: el.tagName !== "IMG" || (el.complete && el.naturalWidth > 0),
            width: box.width, height: box.height};
  });
  const out = document.createElement("pre"); out.id = "probe"; out.textContent = JSON.stringify(charts);
  document.body.appendChild(out);
});</script>"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is needed for this test: `make browser` (or .ci/run) installs it"
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_the_report_renders_in_headless_chromium(seeds, tmp_path):
    page = tmp_path / "report.html"  # a copy with a probe that records each chart's loaded size
    page.write_text(
        (seeds.processed / "report.html").read_text("utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    dom = _chromium("--virtual-time-budget=10000", "--dump-dom", page.as_uri(), profile=tmp_path / "p1").stdout
    charts = json.loads(html.fromstring(dom).get_element_by_id("probe").text)
    assert len(charts) == 5
    assert all(c["loaded"] and c["width"] > 100 and c["height"] > 100 for c in charts), charts
    rendered = _metrics(html.fromstring(dom))
    assert (rendered["cells"], rendered["entries"]) == (
        str(int(seeds.table("cells").captured.sum())),
        str(len(seeds.table("entries"))),
    )

    shot = tmp_path / "report.png"
    _chromium(
        "--window-size=1200,2400",
        f"--screenshot={shot}",
        (seeds.processed / "report.html").as_uri(),
        profile=tmp_path / "p2",
    )
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB")) / 255
    assert pixels.shape[:2] == (2400, 1200)
    assert pixels[..., :3].std() > 0.05  # not blank: text and charts on white
    assert (pixels[..., :3].mean(axis=2) < 0.5).mean() > 0.005  # a fair share of dark (ink) pixels


def test_the_data_package_validates_with_frictionless(seeds):
    path = seeds.processed / "datapackage.json"
    package = json.loads(path.read_text("utf-8"))
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    assert list(frictionless.Package.metadata_validate(package)) == []
    report = frictionless.validate(str(path))
    assert [(t.name, e.type, e.note) for t in report.tasks for e in t.errors] == []
    rows = {t.name: t.stats.get("rows", 0) for t in report.tasks}  # no "rows" for an empty table
    assert rows == {name: len(seeds.table(name)) for name in TABLES}


def test_the_data_package_catches_a_broken_foreign_key(seeds, tmp_path):
    broken = tmp_path / "processed"
    shutil.copytree(seeds.processed, broken)
    entries = pd.read_parquet(broken / "entries.parquet")
    entries.loc[0, "cell_id"] = "drug-Z9"  # a cell that is not in cells.parquet
    entries.to_parquet(broken / "entries.parquet")
    report = frictionless.validate(str(broken / "datapackage.json"))
    assert any(e.type == "foreign-key" for t in report.tasks if t.name == "entries" for e in t.errors)


def test_the_notebook_runs_top_to_bottom(seeds, monkeypatch):
    notebook = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    monkeypatch.setenv("FINDINGS_PROCESSED", str(seeds.processed))
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    ).execute()
    outputs = "\n".join(
        o.get("text", "") or json.dumps(o.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.outputs
    )
    assert "alcohol-E4" in outputs and "drug-E4" in outputs
    assert not [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"
    ]


@pytest.mark.parametrize(
    "command",
    [[], ["extract"], ["clean"], ["structure"], ["merge"], ["publish"], ["report"], ["all"], ["docs"], ["fetch"]],
)
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: python -m pipeline") and "--quiet" in text or not command
    if command and command[0] in ("extract", "all"):
        assert "--jobs" in text and "(default: 0)" in text and "--max-bytes" in text


def test_an_error_is_one_line_unless_verbose(tmp_path, capsys):
    empty = tmp_path / "raw"
    empty.mkdir()
    args = ["merge", "--raw", str(empty), "--interim", str(tmp_path / "interim"), "--processed", str(tmp_path / "p")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "run the earlier stages first" in err
    with pytest.raises(FileNotFoundError):
        main([*args, "-v"])


def test_chart_axes_have_round_ticks_and_the_heatmap_scale_runs_between_its_two_colours():
    from pipeline.report import svg

    assert svg.ticks(23) == [0, 5, 10, 15, 20, 25]
    assert svg.ticks(6) == [0, 1, 2, 3, 4, 5, 6]
    assert svg.ticks(7) == [0, 2, 4, 6, 8]
    assert svg.ticks(0) == [0, 1]
    assert (svg.blend(0), svg.blend(1), svg.blend(0.5)) == ("#F7FBFF", "#08306B", "#8096B5")
    grid = [[0] * 5 for _ in range(5)]
    grid[3][4] = 6
    captured = [[col == 4 for col in range(5)] for _ in range(5)]
    drawn = html.fromstring(svg.heatmap("t", {"S": "S: seminal"}, {"S": grid}, captured, ["1", "2", "3", "4", "5"]))
    cells = drawn.xpath("//rect[@width='34.0']")
    assert [c.get("fill") for c in cells].count("url(#nc)") == 20  # four columns not captured
    assert [t.text for t in drawn.xpath("//text") if t.text in ("0", "6")] == ["0", "0", "0", "6", "0"]
