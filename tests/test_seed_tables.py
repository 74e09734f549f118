"""Issue 2's contract on the five seed captures in raw/."""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.publish.schemas import METADATA_KEY, SCHEMA_VERSION

CHROME = [
    "2020/21 update funded by",
    "Developed with",
    "Send email for updates",
    "Tweet",
    "Comment/query",
    "Hover over for notes",
    "Unfold extra text",
    "Close Matrix Bite",
    "Alcohol Treat\nMatrix",
    "Society for the S",
    "Skills Consortium",
    "Include: interver",
    "Articles, and vid",
    "Links to other documents",
    "Matrix cell logo",
    "Seminal studies",
]


def test_exactly_three_cells_with_labels_and_dates(seeds):
    cells = seeds.table("cells").query("captured").set_index("cell_id")
    assert sorted(cells.index) == ["alcohol-E4", "drug-E3", "drug-E4"]
    assert set(cells.column_label) == {"Treatment systems"}
    assert cells.loc["alcohol-E4", "row_label"] == "Psychosocial therapies"
    assert cells.loc["drug-E4", "row_label"] == "Psychosocial therapies"
    assert cells.loc["drug-E3", "row_label"] == "Medical treatment"
    assert cells.loc["alcohol-E4", ["matrix", "column_code", "row_code"]].tolist() == ["alcohol", "E", "4"]
    assert str(cells.loc["alcohol-E4", "last_revised"]) == "2020-11-20"
    assert str(cells.loc["drug-E4", "last_revised"]) == "2018-07-17"
    assert str(cells.loc["alcohol-E4", "first_uploaded"]) == "2013-06-01"
    assert str(cells.loc["drug-E4", "first_uploaded"]) == "2013-06-01"
    assert pd.isna(cells.loc["drug-E3", "last_revised"])
    assert list(cells.loc["alcohol-E4", "sources"]) == ["000_4de8c99393e6b4f0.txt", "002_ce4cb470b6e6483c.txt"]
    assert cells.loc["alcohol-E4", "description"].startswith("Key studies on local, regional and national")
    assert pd.isna(cells.loc["drug-E4", "description"])


@pytest.mark.parametrize(
    "cell, total, tags",
    [
        ("alcohol-E4", 16, {"S": 1, "K": 6, "R": 5, "G": 4}),
        ("drug-E4", 15, {"K": 5, "R": 4, "G": 6}),
        ("drug-E3", 22, {"K": 7, "R": 4, "G": 11}),
    ],
)
def test_entry_counts_by_tag(seeds, cell, total, tags):
    entries = seeds.table("entries")
    mine = entries[entries.cell_id == cell].sort_values("position")
    assert len(mine) == total
    assert mine.position.tolist() == list(range(1, total + 1))
    assert Counter(t[0] for t in mine.types) == Counter(tags)


def test_two_tag_entry_counts_once_with_both_tags(seeds):
    entries = seeds.table("entries")
    both = entries[entries.types.map(lambda t: list(t) == ["R", "G"])]
    assert both.title.tolist() == ["Methadone maintenance as spine of a recovery-oriented treatment system"]
    assert both.cell_id.tolist() == ["drug-E3"]


def test_lost_tag_letter_is_inferred(seeds):
    entries = seeds.table("entries")
    inferred = entries[entries.types_inferred]
    assert inferred.title.tolist() == ["NICE-recommended psychosocial interventions"]
    assert list(inferred.types.iloc[0]) == ["G"]
    assert inferred.cell_id.iloc[0] == "drug-E4"
    assert entries.types_inferred.sum() == 1


@pytest.mark.parametrize(
    "title, year, issuer, jurisdiction, note",
    [
        ("Systematic facilitation transforms zero mutual aid group attendance into 100%", 1981, None, None, None),
        (
            "Commissioning an alcohol intervention and treatment system",
            2011,
            "National Institute for Health and Care Excellence",
            "UK",
            None,
        ),
        (
            "NICE-recommended psychosocial interventions",
            2007,
            "National Institute for Health and Care Excellence [NICE]",
            "UK",
            None,
        ),
        ("Pay-for-performance systems an evidential leap in the dark", 2011, "Cochrane review", None, None),
        (
            "Evidence weak for integrating addiction and mental health treatment",
            2013,
            None,
            None,
            "free summary and commentary from the US Centre for Reviews and Dissemination",
        ),
        (
            "What UK specialist addiction doctors should do and be able to do",
            2014,
            "Public Health England, Royal College of Psychiatrists, Royal College of General Practitioners",
            "UK",
            None,
        ),
        (
            "Organising integrated and holistic care",
            2008,
            "Report Produced for the Scottish Advisory Committee on Drug Misuse",
            None,
            None,
        ),
        ("“No wrong door”", 2017, "Public Health England", None, None),
        ("‘Dual diagnosis‘ provision in England", 2008, "Care Services Improvement Partnership", "UK", None),
    ],
)
def test_titles_years_issuers(seeds, title, year, issuer, jurisdiction, note):
    entries = seeds.table("entries")
    row = entries[entries.title == title]
    assert len(row) == 1, title
    row = row.iloc[0]
    assert row.year == year
    assert (None if pd.isna(row.issuer_printed) else row.issuer_printed) == issuer
    assert (None if pd.isna(row.jurisdiction) else row.jurisdiction) == jurisdiction
    assert (None if pd.isna(row.note) else row.note) == note


def text_values(run):
    """Every string in every published table, with where it came from."""
    for name in ("cells", "entries", "citations", "links"):
        table = run.table(name)
        for column in table.columns:
            for value in table[column].dropna():
                for item in [value] if isinstance(value, str) else []:
                    yield f"{name}.{column}", item


def test_text_values_are_read(seeds):
    values = [v for _, v in text_values(seeds)]
    assert len(values) > 500
    assert any("Psychosocial therapies" == v for v in values)


def test_no_text_column_holds_furniture(seeds):
    for where, value in text_values(seeds):
        for phrase in CHROME:
            assert phrase not in value, f"{where} holds {phrase!r}: {value[:120]!r}"


def test_annotations_rejoined_across_breaks(seeds):
    entries = seeds.table("entries").set_index("title")
    nice = entries.loc["NICE-recommended psychosocial interventions", "annotation"]
    assert (
        "reserved for severe and complex cases not helped by non-residential care. Implementation guidance "
        "below." in nice
    )
    aa = entries[entries.index.str.startswith("Attending AA meetings")].annotation.iloc[0]
    assert (
        "“the most rigorous assessment yet of a 70-year old mutual help organization”. Our commentary discusses whether"
        in aa
        or '"the most rigorous assessment yet of a 70-year old mutual help '
        'organization". Our commentary discusses whether'
        in aa
    )
    assert aa.endswith("scroll down to highlighted headings.")


def test_cell_references_become_links(seeds):
    links = seeds.table("links")
    targets = links.dropna(subset=["target_cell_id"])
    by_cell = targets.groupby("cell_id").target_cell_id.apply(set).to_dict()
    assert {"alcohol-E3", "alcohol-D2", "alcohol-A4"} <= by_cell["alcohol-E4"]
    assert {"drug-E3", "drug-D2", "drug-A4"} <= by_cell["drug-E4"]
    assert {"drug-A3", "drug-C3", "drug-E2", "drug-D3", "drug-B3"} <= by_cell["drug-E3"]
    # "cell D2 of the Alcohol Treatment Matrix" in the drug E3 bite names the other matrix
    assert "alcohol-D2" in by_cell["drug-E3"]
    e3 = targets[(targets.cell_id == "drug-E4") & (targets.anchor_text == "cell E3's bite")]
    assert len(e3) == 1 and e3.kind.iloc[0] == "cell" and e3.entry_id.notna().iloc[0]
    assert all(re.fullmatch(r"(alcohol|drug)-[A-E][1-5]", t) for t in targets.target_cell_id)


def test_placeholder_hrefs_are_null(seeds):
    links = seeds.table("links")
    assert links[links.kind == "placeholder"].href.isna().all()
    assert seeds.table("entries").href.isna().all()


def test_citations_primary_and_secondary(seeds):
    citations = seeds.table("citations")
    entries = seeds.table("entries")
    primary = citations[citations.role == "primary"]
    assert len(primary) == len(entries)
    assert set(primary.entry_id) == set(entries.entry_id)
    secondary = citations[(citations.role == "secondary") & (citations.cell_id == "alcohol-E4")]
    clinical = secondary[secondary.text == "[UK] National Institute for Health and Care Excellence, 2011"]
    assert len(clinical) == 1
    assert clinical.iloc[0].anchor_text == "clinical guidelines"
    free = citations[citations.note == "free source at time of writing"]
    assert free.year.tolist() == [2014] and free.cell_id.tolist() == ["drug-E3"]


def test_analysis_page_recognised_and_reported(seeds):
    report = {c["file"]: c for c in seeds.report["captures"]}
    page = report["004_5df57ddc41682441.txt"]
    assert page["kind"] == "analysis"
    assert page["title"] == "Drug misuse in over 16s: psychosocial interventions"
    assert {c["file"]: c["format"] for c in report.values()} == {
        "000_4de8c99393e6b4f0.txt": "text",
        "001_4c2a54f4b529c65e.txt": "markdown",
        "002_ce4cb470b6e6483c.txt": "markdown",
        "003_ee8d256968168fd8.txt": "text",
        "004_5df57ddc41682441.txt": "text",
    }
    assert report["002_ce4cb470b6e6483c.txt"]["furniture_removed"] >= 30
    assert seeds.report["quarantined"] == []


def test_parquet_files_carry_schema_version(seeds):
    for name in ("cells", "entries", "citations", "links"):
        meta = pq.read_schema(seeds.processed / f"{name}.parquet").metadata
        assert meta[METADATA_KEY] == SCHEMA_VERSION.encode()
