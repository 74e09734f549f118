"""Every capture variation SITE.md describes, in hand-made captures with hand-written expectations."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import FIXTURES

from pipeline.model import Page, from_json
from pipeline.runtime.records import read_record
from pipeline.runtime.tasks import output_path

EXPECTED = json.loads((FIXTURES / "site-expected.json").read_text(encoding="utf-8"))["captures"]


def structured(site, name: str) -> Page:
    return from_json(Page, read_record(output_path(site.interim / "structure", name)))


QUARANTINED = {n: x["quarantined"] for n, x in EXPECTED.items() if "quarantined" in x}


def test_whole_folder_runs_and_quarantines_only_the_unnamed_cell(site):
    assert site.status == 1
    assert site.report["quarantined"] == [{"file": n, "errors": [QUARANTINED[n]]} for n in sorted(QUARANTINED)]
    assert {c["file"] for c in site.report["captures"]} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_kind(site, name):
    assert structured(site, name).kind == EXPECTED[name]["kind"]


CELLS = sorted(n for n, x in EXPECTED.items() if x["kind"] == "cell")


@pytest.mark.parametrize("name", CELLS)
def test_cell_identity_labels_description_and_dates(site, name):
    want, cell = EXPECTED[name], structured(site, name).cell
    fields = ("cell_id", "column_label", "row_label", "identity_from", "last_revised", "first_uploaded")
    got = {k: getattr(cell, k) for k in fields} | {"description": cell.description.text if cell.description else None}
    assert got == {k: want[k] for k in got}


@pytest.mark.parametrize("name", CELLS)
def test_cell_entries(site, name):
    want = EXPECTED[name]["entries"]
    got = [
        {
            "types": e.types,
            "types_inferred": e.types_inferred,
            "title": e.title,
            "year": e.reference.year if e.reference else None,
            "issuer": e.reference.issuer if e.reference else None,
            "jurisdiction": e.reference.jurisdiction if e.reference else None,
            "cut_off": e.cut_off,
        }
        for e in structured(site, name).cell.entries
    ]
    assert got == [{k: w[k] for k in got[0]} for w in want]


def test_published_cells_are_the_expected_ones(site):
    """Captures of one page in several formats give one cell, with one page's entries and description."""
    pages = {EXPECTED[n]["cell_id"]: EXPECTED[n] for n in CELLS}
    cells = site.table("cells").query("captured").set_index("cell_id")
    assert sorted(cells.index) == sorted(pages)
    assert {c: None if pd.isna(d) else d for c, d in cells.description.items()} == {
        c: page["description"] for c, page in pages.items()
    }
    entries = site.table("entries")
    assert len(entries) == sum(len(page["entries"]) for page in pages.values())
    cut = entries[entries.cut_off]
    assert len(cut) == 2
    assert set(cells[cells.truncated].index) == set(cut.cell_id)


def test_cross_references_are_never_the_identity(site):
    page = structured(site, "cell_crossrefs_only.txt")
    assert page.cell.cell_id == "drug-B3" and page.cell.identity_from == "url"
    links = site.table("links")
    mine = links[links.cell_id == "drug-B3"]
    assert {"drug-A1", "drug-B2", "drug-B4"} <= set(mine.target_cell_id.dropna())


def test_no_furniture_in_entries_or_descriptions(site):
    entries = site.table("entries")
    text = " ".join([*entries.title, *entries.annotation, *site.table("cells").description.dropna()])
    for phrase in (
        "Alcohol Treat",
        "Society for the S",
        "of Addiction",
        "Send email fo",
        "Articles, and vid",
        "interver",
        "Seminal studies",
        "Hot topics",
        "Matrix cell",
        "One of 25 cells",
    ):
        assert phrase not in text
