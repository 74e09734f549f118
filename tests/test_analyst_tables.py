"""Issue 15: the tables an analyst can trust: works, all 50 cells, canonical links, issuers, captures,
and a data package that validates from the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import RAW, folder_of, run_on
from lxml import html

from pipeline.export.csv import export
from pipeline.load import pandas_table, polars_table
from pipeline.publish.issuers import canonical_names
from pipeline.publish.links import canonical
from pipeline.publish.schemas import TABLES
from pipeline.publish.validate import validate

CELL = "https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/E4.htm"


@pytest.fixture(scope="module")
def without_alcohol_e4(tmp_path_factory):
    """The seeds less both captures of alcohol-E4."""
    raw = tmp_path_factory.mktemp("raw")
    for name in ("001_4c2a54f4b529c65e.txt", "003_ee8d256968168fd8.txt", "004_5df57ddc41682441.txt"):
        shutil.copy(RAW / name, raw / name)
    return run_on(raw, tmp_path_factory.mktemp("run"))


def test_work_ids_do_not_move_when_other_cells_go(seeds, without_alcohol_e4):
    before = seeds.table("entries").set_index("entry_id").work_id
    after = without_alcohol_e4.table("entries").set_index("entry_id")
    moved = after[after.work_id != before[after.index]]
    # only the work whose smallest own key was its alcohol-E4 listing ("Case management") gets a new id
    assert moved.title.tolist() == ["Organising holistic and continuing care"]
    works = seeds.table("works").set_index("work_id")
    assert list(works.loc[before[moved.index[0]], "titles"]) == [
        "Case management",
        "Organising holistic and continuing care",
    ]


def test_work_ids_do_not_move_when_a_cell_is_added(seeds, tmp_path):
    raw = folder_of(tmp_path / "raw", {p.name: p for p in RAW.iterdir()})
    shutil.copy(Path(__file__).parent / "fixtures" / "site" / "cell_alcohol_B3.html", raw / "cell_alcohol_B3.html")
    more = run_on(raw, tmp_path / "run").table("entries").set_index("entry_id")
    before = seeds.table("entries").set_index("entry_id").work_id
    assert (more.loc[before.index, "work_id"] == before).all()
    assert sorted(more.cell_id.unique()) == ["alcohol-B3", "alcohol-E4", "drug-E3", "drug-E4"]


def test_works_table_has_one_row_per_work(seeds):
    works, entries = seeds.table("works"), seeds.table("entries")
    assert len(works) == entries.work_id.nunique() == 44
    assert works.entry_count.sum() == 53
    shared = works[works.title == "Determining who needs residential care"].iloc[0]
    assert (list(shared.cell_ids), list(shared.matrices), list(shared.match_methods), list(shared.types)) == (
        ["alcohol-E4", "drug-E4"],
        ["alcohol", "drug"],
        ["title"],
        ["K"],
    )
    # the canonical title is the wording of the most recently revised cell: alcohol-E4 (2020) over drug-E4 (2018)
    referral = works[
        works.titles.map(
            lambda t: "Active referral significantly promotes NA/AA attendance in UK but not abstinence" in list(t)
        )
    ].iloc[0]
    assert referral.title == "In UK active referral significantly promotes NA/AA attendance but not abstinence"
    assert referral.title_from.startswith("alcohol-E4-")
    both = works[works.matrices.map(len) == 2]
    assert len(both) == 8


def test_all_fifty_cells_with_captured_flag_labels_and_url(seeds):
    cells = seeds.table("cells").set_index("cell_id")
    assert len(cells) == 50
    assert sorted(cells.index[cells.captured]) == ["alcohol-E4", "drug-E3", "drug-E4"]
    a1 = cells.loc["alcohol-A1"]
    assert (a1.column_label, a1.row_label, a1.entry_count, list(a1.sources), a1.url) == (
        "Interventions",
        "Screening and brief intervention",
        0,
        [],
        "https://findings.org.uk/PHP/dl.php?file=Matrix/Alcohol/A1.htm",
    )
    assert cells.loc["drug-E4", "url"] == CELL
    axes = seeds.table("matrix_axes")
    rows = cells.reset_index().merge(
        axes[axes.axis == "row"], left_on=["matrix", "row_code"], right_on=["matrix", "code"]
    )
    assert len(rows) == 50 and (rows.row_label == rows.label).sum() == 50
    targets = set(seeds.table("links").target_cell_id.dropna())
    assert targets <= set(cells.index) and "alcohol-A2" in targets


@pytest.mark.parametrize(
    "href, url, kind",
    [
        (
            "dl.php?f=Matrix%2FDrugs%2FB3.htm&s=eb&sf=rel",
            "https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/B3.htm",
            "cell",
        ),
        (
            "http://www.findings.org.uk/count/downloads/download.php?file=Ashton_M_5.pdf&s=eb",
            "https://findings.org.uk/PHP/dl.php?file=Ashton_M_5.pdf",
            "document",
        ),
        ("/PHP/dl.php?file=White_WL_1.txt", "https://findings.org.uk/PHP/dl.php?file=White_WL_1.txt", "document"),
        ("#", None, "placeholder"),
        ("  ", None, "placeholder"),
        ("#bite", CELL + "#bite", "in-page"),
        ("javascript:alert(1)", None, "unsupported"),
        ("JaVaScRiPt\n:alert(1)", None, "unsupported"),
        ("data:text/html,<b>x</b>", None, "unsupported"),
        ("https://findings.org.uk.evil.test/x", "https://findings.org.uk.evil.test/x", "external"),
        ("https://evilfindings.org.uk/x", "https://evilfindings.org.uk/x", "external"),
        (
            "https://www.nice.org.uk/guidance/cg51?utm_source=x&b=2&a=1",
            "https://www.nice.org.uk/guidance/cg51?a=1&b=2",
            "external",
        ),
        ("dl.php?file=Kid\n_1.txt", "https://findings.org.uk/PHP/dl.php?file=Kid_1.txt", "document"),
        ("mailto:editor@findings.org.uk", "mailto:editor@findings.org.uk", "email"),
    ],
)
def test_addresses_are_canonical_and_absolute(href, url, kind):
    found = canonical(href, CELL)
    assert (found.url, found.kind) == (url, kind)


def test_links_on_the_seeds(seeds):
    links, sections, entries = seeds.table("links"), seeds.table("sections"), seeds.table("entries")
    assert links.href.isna().all()  # the seeds' Markdown lost every address: no `#` is published
    assert links.placeholder.sum() == 214
    cells = links[(links.kind == "cell") & links.placeholder]
    assert sorted(cells.anchor_text) == [
        "cell A2",
        "cell A2’s bite",
        "cell A4",
        "cell A4",
        "cell A4's bite",
        "cell D2's bite",
        "cell E3's bite",
    ]
    own = links[links.target_entry_id.notna()]
    assert len(own) == 25 and (own.target_entry_id == own.entry_id).all() and set(own.kind) == {"document"}
    titles = entries.set_index("entry_id").title
    assert all(titles[e].startswith(a) for e, a in zip(own.entry_id, own.anchor_text))
    bite = links[links.section == "bite"]
    assert bite.section_id.notna().all() and set(bite.section_id) <= set(sections.section_id)
    assert links[links.section != "bite"].section_id.isna().all()
    mention = bite[bite.anchor_text == "cell A2"].iloc[0]
    text = sections.set_index("section_id").text[mention.section_id]
    assert "cell A2" in text


def test_a_javascript_href_is_never_published(tmp_path):
    page = (
        "<html><body><h1>Drug Treatment Matrix cell B5: Practitioners; Safeguarding the community</h1>"
        "<p>K <a href='javascript:alert(1)'>Keeping children safe</a> (2010). A study of home visits.</p>"
        "<p>K <a href='data:text/html;base64,PGI+'>Safe at school</a> (2011). A study of schools.</p>"
        "<p>R <a href='https://findings.org.uk.evil.test/x'>Review of safety</a> (2012). A review.</p>"
        "</body></html>"
    )
    run = run_on(folder_of(tmp_path / "raw", {"b5.html": page}), tmp_path / "run")
    links = pq.read_table(run.processed / "links.parquet").to_pandas().astype(object).where(lambda d: d.notna(), None)
    assert links.sort_values("position")[["anchor_text", "href", "kind"]].values.tolist() == [
        ["Keeping children safe", None, "unsupported"],
        ["Safe at school", None, "unsupported"],
        ["Review of safety", "https://findings.org.uk.evil.test/x", "external"],
    ]


def test_issuers_are_one_name_per_body(seeds):
    entries = seeds.table("entries")
    scottish = entries[entries.issuer_printed.str.contains("Scottish Advisory", na=False)]
    assert sorted(scottish.issuer_printed) == [
        "Report Produced for the Scottish Advisory Committee on Drug Misuse",
        "Report Produced for the Scottish Advisory Committee on Drug Misuse",
        "Report produced for the Scottish Advisory Committee on Drug Misuse",
    ]
    assert set(scottish.issuer) == {"Scottish Advisory Committee on Drug Misuse"}
    nice = entries[entries.issuer_printed.str.startswith("National Institute for Health", na=False)]
    assert set(nice.issuer) == {"National Institute for Health and Care Excellence"} and len(nice) == 3
    cochrane = entries[entries.issuer_printed == "Cochrane review"]
    assert (cochrane.issuer.isna().all(), set(cochrane.document_kind), len(cochrane)) == (True, {"Cochrane review"}, 1)


def test_issuer_spellings_are_grouped():
    names = canonical_names(["Home Office", "Home Office", "HOME OFFICE", "Home office [HO]", "Department of Health"])
    assert {p: i.name for p, i in names.items()} == {
        "Home Office": "Home Office",
        "HOME OFFICE": "Home Office",
        "Home office [HO]": "Home Office",
        "Department of Health": "Department of Health",
    }


def test_secondary_citations_tied_only_when_unambiguous(seeds, tmp_path):
    citations = seeds.table("citations")
    secondary = citations[citations.role == "secondary"]
    # on the seeds a year alone would tie 6 of 16, every one to the wrong entry: none is tied
    assert (len(secondary), int(secondary.cited_by.notna().sum())) == (16, 0)
    primary = citations[citations.role == "primary"]
    assert (primary.cited_entry_id == primary.entry_id).all() and set(primary.cited_by) == {"own entry"}
    page = (
        "<html><body><h1>Drug Treatment Matrix cell B5: Practitioners; Safeguarding the community</h1>"
        "<p>K <a href='dl.php?file=Home_1.txt'>Keeping children safe</a> ([UK] Home Office, 1999). Home visits.</p>"
        "<p>G <a href='dl.php?file=Guide_2.txt'>Safe homes guidance</a> ([UK] Department of Health, 2002). Builds "
        "on the <a href='https://www.findings.org.uk/PHP/dl.php?f=Home_1.txt&amp;s=eb'>visits study</a> (1999).</p>"
        "<p>R <a href='dl.php?file=Rev_3.txt'>Reviews of safety</a> (2010). See the <a href='#'>guidance</a> "
        "([UK] Department of Health, 2002).</p>"
        "<p>K <a href='dl.php?file=Other_4.txt'>Another study</a> (2005). Unlike an older study (1999).</p>"
        "</body></html>"
    )
    run = run_on(folder_of(tmp_path / "raw", {"b5.html": page}), tmp_path / "run")
    entries = run.table("entries").set_index("title").entry_id
    cited = run.table("citations").query("role == 'secondary'").sort_values("entry_id")
    found = {
        (
            entries[entries == e].index[0],
            text,
            None if pd.isna(by) else by,
            None if pd.isna(t) else entries[entries == t].index[0],
        )
        for e, text, by, t in zip(cited.entry_id, cited.text, cited.cited_by, cited.cited_entry_id)
    }
    assert found == {
        ("Safe homes guidance", "1999", "link", "Keeping children safe"),
        ("Reviews of safety", "[UK] Department of Health, 2002", "issuer+year", "Safe homes guidance"),
        ("Another study", "1999", None, None),
    }
    links = run.table("links").set_index("anchor_text")
    assert pd.isna(links.loc["guidance", "href"])
    assert links.loc["guidance", ["placeholder", "kind", "target_entry_id"]].tolist() == [
        True,
        "document",
        entries["Safe homes guidance"],
    ]
    assert links.loc["visits study", ["href", "target_entry_id"]].tolist() == [
        "https://findings.org.uk/PHP/dl.php?file=Home_1.txt",
        entries["Keeping children safe"],
    ]


def test_captures_say_what_each_contributed(seeds):
    captures = seeds.table("captures").set_index("file")
    assert len(captures) == 5 and set(captures.status) == {"published"}
    text, markdown = captures.loc["000_4de8c99393e6b4f0.txt"], captures.loc["002_ce4cb470b6e6483c.txt"]
    assert (text.entries_contributed, list(text.fields_contributed)) == (0, [])
    assert (markdown.entries_contributed, list(markdown.fields_contributed)) == (
        16,
        ["description", "last_revised", "first_uploaded", "more", "bite"],
    )
    assert text.sha256 == "8ea263f46b2e37a932a481fb5b6415e24aca30d6b863cfc8cef96a8598ce7831"
    analysis = captures.loc["004_5df57ddc41682441.txt"]
    assert (analysis.page_kind, analysis.document_id) == ("analysis", seeds.table("documents").document_id.iloc[0])


def test_an_identical_capture_says_so(tmp_path):
    seed = RAW / "001_4c2a54f4b529c65e.txt"
    run = run_on(folder_of(tmp_path / "raw", {"a.txt": seed, "b.txt": seed}), tmp_path / "run")
    captures = run.table("captures").set_index("file")
    assert captures.status.tolist() == ["published", "identical"]
    assert captures.loc["b.txt", "reason"] == "identical to another capture of drug-E4; counted once"
    assert {c["file"]: c["status"] for c in run.report["captures"]} == {"a.txt": "published", "b.txt": "identical"}


def test_the_data_package_validates_on_the_command_line(seeds):
    path = seeds.processed / "datapackage.json"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "frictionless"), "validate", "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert (done.returncode, report["valid"]) == (0, True)
    package = json.loads(path.read_text("utf-8"))
    assert package["created"] == "2020-11-20T00:00:00Z"  # the latest revision date the seeds show
    assert package["licenses"][0]["path"] == package["sources"][0]["path"] == "https://findings.org.uk/"
    fields = {f["name"]: f for r in package["resources"] if r["name"] == "links" for f in r["schema"]["fields"]}
    assert fields["kind"]["constraints"]["enum"] == [
        "document",
        "cell",
        "in-page",
        "external",
        "email",
        "placeholder",
        "unsupported",
    ]


def test_a_value_outside_its_enum_is_refused(seeds):
    tables = {name: pq.read_table(seeds.processed / f"{name}.parquet").to_pylist() for name in TABLES}
    assert validate(tables) == []
    tables["links"][0]["kind"] = "webpage"
    problems = [p.message for p in validate(tables)]
    assert [p for p in problems if "webpage" in p] == [
        "links: kind 'webpage' is not one of ['document', 'cell', 'in-page', 'external', 'email', 'placeholder', "
        "'unsupported']"
    ]


def test_uncaptured_cells_are_not_zero_in_the_report(seeds):
    page = (seeds.processed / "report.html").read_text("utf-8")
    assert "was not captured: its entries are unknown, not zero" in page
    data = pd.read_parquet(seeds.processed / "cells.parquet")
    assert int(data.captured.sum()) == 3


def test_the_loader_keeps_dates_lists_and_codes(seeds):
    cells = pandas_table("cells", seeds.processed).set_index("cell_id")
    assert str(cells.last_revised.dtype) == "date32[day][pyarrow]"
    assert cells.loc["alcohol-E4", "last_revised"] == date(2020, 11, 20)
    assert cells.loc["alcohol-E4", "sources"] == ["000_4de8c99393e6b4f0.txt", "002_ce4cb470b6e6483c.txt"]
    assert cells.loc["drug-E3", "row_code"] == "3"
    works = polars_table("works", seeds.processed)
    assert (str(works.schema["cell_ids"]), works.height) == ("List(String)", 44)


def test_csv_export_joins_lists_as_the_dictionary_says(seeds, tmp_path):
    processed = tmp_path / "processed"
    shutil.copytree(seeds.processed, processed)
    written = export(processed)
    assert [p.name for p in written] == [f"{name}.csv" for name in TABLES]
    cells = pd.read_csv(processed / "csv" / "cells.csv", dtype=str, keep_default_na=False).set_index("cell_id")
    assert cells.loc["alcohol-E4", "sources"] == "000_4de8c99393e6b4f0.txt | 002_ce4cb470b6e6483c.txt"
    assert (cells.loc["alcohol-E4", "last_revised"], cells.loc["drug-E3", "last_revised"]) == ("2020-11-20", "")
    first = (processed / "csv" / "entries.csv").read_bytes()
    export(processed)
    assert (processed / "csv" / "entries.csv").read_bytes() == first


def test_the_report_names_shared_works_by_their_canonical_title(seeds):
    page = html.fromstring((seeds.processed / "report.html").read_bytes())
    table = page.xpath('//table[@data-metric="shared-works"]/tbody/tr')
    rows = [[td.text_content() for td in tr.xpath("td")] for tr in table]
    works = seeds.table("works")
    assert [r[0] for r in rows] == sorted(works[works.cell_ids.map(len) > 1].title)
    assert [
        "In UK active referral significantly promotes NA/AA attendance but not abstinence",
        "2012",
        "2",
        "alcohol-E4, drug-E4",
    ] in rows


def test_a_quarantined_capture_says_why(tmp_path):
    run = run_on(
        folder_of(tmp_path / "raw", {"a.txt": RAW / "001_4c2a54f4b529c65e.txt", "empty.txt": ""}), tmp_path / "r"
    )
    captures = run.table("captures").set_index("file")
    assert captures.status.tolist() == ["published", "quarantined"]
    empty = captures.loc["empty.txt"]
    assert (empty.reason, pd.isna(empty.cell_id), empty.entries_contributed) == (
        "; ".join(next(c for c in run.report["captures"] if c["file"] == "empty.txt")["errors"]),
        True,
        0,
    )
    assert "no content" in empty.reason
