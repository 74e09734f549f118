"""Issue 4: analysis pages, related documents, sections, matrix axes and one identity per work."""

from __future__ import annotations

import itertools
import json
import re

import pandas as pd
import pytest
from conftest import FIXTURES, RAW, folder_of, run_on
from test_seed_tables import CHROME
from test_structure_units import CELL

NICE_SEED = "004_5df57ddc41682441.txt"


def test_seed_analysis_page_is_one_document(seeds):
    docs = seeds.table("documents")
    assert len(docs) == 1
    doc = docs.iloc[0]
    assert doc.title == "Drug misuse in over 16s: psychosocial interventions"
    assert doc.source == "[UK] National Institute for Health and Care Excellence, 2007."
    assert (
        doc.authors == "National Institute for Health and Care Excellence and National Collaborating Centre "
        "for Mental Health."
    )
    assert (doc.year, doc.doc_kind) == (2007, "document")
    assert len(doc.key_points) == 6
    assert (
        doc.key_points[0] == "NICE clinical guidelines are key quality yardsticks for NHS services and those "
        "commissioned by the NHS."
    )
    assert str(doc.last_revised) == "2017-08-30" and str(doc.first_uploaded) == "2017-08-22"
    assert doc.summary.startswith("After examining the evidence for psychosocial therapies")
    assert doc.commentary.startswith("Experts from the British Psychological Society")
    assert list(doc.sources) == [NICE_SEED] and not doc.cut_off


def test_related_documents_are_citations_and_links(seeds):
    doc_id = seeds.table("documents").document_id.iloc[0]
    citations = seeds.table("citations")
    related = citations[citations.role == "related"].sort_values("position")
    assert len(related) == 10
    assert (related.document_id == doc_id).all() and related.cell_id.isna().all()
    assert related.listed_kind.tolist()[:3] == ["document", "review", "study"]
    assert related.iloc[0].text == "Drug misuse and dependence: UK guidelines on clinical management"
    links = seeds.table("links")
    to_cells = links[(links.document_id == doc_id) & links.target_cell_id.notna()]
    assert to_cells.target_cell_id.tolist() == ["drug-A4"]
    assert to_cells.anchor_text.iloc[0] == "Drug Treatment Matrix cell A4: Interventions; Psychosocial therapies"


def test_entry_resolves_to_its_analysis_page(seeds):
    entries = seeds.table("entries")
    resolved = entries[entries.document_id.notna()]
    assert resolved.title.tolist() == ["NICE-recommended psychosocial interventions"]
    assert resolved.cell_id.tolist() == ["drug-E4"]
    assert resolved.document_id.iloc[0] == seeds.table("documents").document_id.iloc[0]
    assert resolved.document_method.iloc[0] == "issuer+title"


def test_text_and_html_captures_of_one_analysis_page_merge(tmp_path):
    raw = folder_of(tmp_path / "raw", {"a.txt": RAW / NICE_SEED, "b.html": FIXTURES / "html/analysis-nice-2007.html"})
    docs = run_on(raw, tmp_path).table("documents")
    assert len(docs) == 1
    assert list(docs.sources.iloc[0]) == ["a.txt", "b.html"]
    assert len(docs.key_points.iloc[0]) == 6


EXPECTED = json.loads((FIXTURES / "site-expected.json").read_text(encoding="utf-8"))["captures"]
ANALYSES = sorted(n for n, x in EXPECTED.items() if x["kind"] == "analysis")


@pytest.mark.parametrize("name", ANALYSES)
def test_every_analysis_header_and_reference_style(site, name):
    want = EXPECTED[name]["analysis"]
    docs = site.table("documents")
    row = docs[docs.sources.map(lambda s: name in list(s))]
    assert len(row) == 1
    got = row.iloc[0]
    assert {k: (None if pd.isna(got[k]) else got[k]) for k in want} == want


def test_site_analysis_related_lists_name_cells(site):
    links = site.table("links")
    related = links[links.section == "related"]
    assert {"drug-A4", "drug-A3", "drug-E2", "alcohol-A5"} <= set(related.target_cell_id.dropna())


# Same works across the seed cells, as (cell, year, title) – everything else is a different work.
SAME_WORKS = [
    {
        ("alcohol-E4", "In UK active referral significantly promotes NA/AA attendance but not abstinence"),
        ("drug-E4", "Active referral significantly promotes NA/AA attendance in UK but not abstinence"),
    },
    {
        ("alcohol-E4", "In USA post-treatment substance use reduced by actively linking patients to mutual aid groups"),
        (
            "drug-E4",
            "In USA active and persistent attempts to link patients to mutual aid groups helps reduce substance use",
        ),
    },
    {
        ("alcohol-E4", "Forging inter-service links to promote patient transition and aftercare"),
        ("drug-E4", "Forging inter-service links in US states"),
    },
    {
        ("alcohol-E4", "Peer-based support for recovery from problem substance use"),
        ("drug-E4", "Peer-based recovery support services"),
    },
    {("alcohol-E4", "Determining who needs residential care"), ("drug-E4", "Determining who needs residential care")},
    {
        ("alcohol-E4", "Severe cases differentially benefit from residential care"),
        ("drug-E4", "Severe cases differentially benefit from residential care"),
    },
    {("alcohol-E4", "Case management"), ("drug-E4", "Organising holistic and continuing care")},
    {
        ("alcohol-E4", "Organising integrated and holistic care"),
        ("drug-E4", "Integrated care for drug and alcohol users"),
        ("drug-E3", "Integrated care for substance users in Scotland"),
    },
]


def test_work_identity_holds_in_both_directions(seeds):
    entries = seeds.table("entries")
    group_of = {member: n for n, group in enumerate(SAME_WORKS) for member in group}
    rows = list(entries[["cell_id", "title", "work_id"]].itertuples(index=False))
    assert all(member in {(r.cell_id, r.title) for r in rows} for member in group_of)
    for a, b in itertools.combinations(rows, 2):
        same = (a.cell_id, a.title) in group_of and group_of.get((a.cell_id, a.title)) == group_of.get(
            (b.cell_id, b.title)
        )
        assert (a.work_id == b.work_id) == same, (a.title, b.title)


def test_traps_stay_apart_and_matches_are_explained(seeds):
    entries = seeds.table("entries").set_index(["cell_id", "title"])
    case = entries.xs("Varieties and impacts of case management", level="title")
    assert case.work_id.nunique() == 2
    assert (
        entries.loc[("drug-E3", "Commissioning for recovery"), "work_id"]
        != entries.loc[("drug-E4", "Implementing NICE-recommended psychosocial interventions"), "work_id"]
    )
    assert (
        entries.loc[("drug-E3", "Pharmacy-based services for drug users"), "work_id"]
        != entries.loc[("drug-E4", "Coordinating services to meet individual needs"), "work_id"]
    )
    matched = entries[entries.work_method != "unique"]
    assert set(matched.work_method) == {"title", "title+annotation", "issuer+annotation"}
    assert (matched.work_score >= 70).all()
    assert (entries[entries.work_method == "unique"].work_score == 0).all()


def _linked_page(text: str, title: str, href: str) -> str:
    return (
        "<html><body>"
        + "".join(
            f"<p>{line.replace(title, f'<a href={href!r}>{title}</a>')}</p>" for line in text.splitlines() if line
        )
        + "</body></html>"
    )


def test_same_href_means_same_work(tmp_path):
    href = "https://findings.org.uk/PHP/dl.php?file=Kid_1.txt"
    other = CELL.replace("Drug Treatment Matrix cell B5", "Alcohol Treatment Matrix cell C2").replace(
        "Keeping children safe", "Child safety at home"
    )
    raw = folder_of(
        tmp_path / "raw",
        {
            "a.html": _linked_page(CELL, "Keeping children safe", href),
            "b.html": _linked_page(other, "Child safety at home", href),
        },
    )
    entries = run_on(raw, tmp_path).table("entries")
    first = entries[entries.position == 1]
    assert first.title.tolist() == ["Child safety at home", "Keeping children safe"]
    assert first.work_id.nunique() == 1 and set(first.work_method) == {"href"}
    assert set(first.href) == {href}


def test_bite_sections_are_clean_and_whole(seeds):
    sections = seeds.table("sections")
    for cell in ("alcohol-E4", "drug-E4"):
        bite = sections[sections.cell_id == cell].sort_values("position")
        assert len(bite) >= 25
        for text in bite.text:
            for phrase in CHROME:
                assert phrase not in text
            assert re.search(r"[.?!…:”’\"')]$", text), f"paragraph cut by a page break: ...{text[-60:]!r}"
        pull_quotes = [t for t in bite.text if len(t.split()) <= 30 and not t.endswith(".")]
        assert pull_quotes == []
        paths = bite.heading_path.map(tuple)
        assert ("What is this cell about?",) in set(paths)
        assert ("Issues to consider and discuss", "How much should be left to services?") in set(paths)
    alcohol = sections[sections.cell_id == "alcohol-E4"]
    assert alcohol.supplementary.sum() == 2


def test_analysis_sections_keep_headings(seeds):
    sections = seeds.table("sections")
    doc = sections[sections.document_id.notna()]
    assert set(doc.section) == {"Summary", "Key points", "Main findings", "Commentary"}
    assert ("Main findings", "Contingency management") in set(doc.heading_path.map(tuple))
    assert (doc.section == "Key points").sum() == 6


def test_matrix_axes_from_overview_pages(site):
    axes = site.table("matrix_axes").set_index(["matrix", "axis", "code"])
    assert len(axes) == 20
    assert (
        axes.loc[("drug", "column", "A"), "description"]
        == "Techniques, programmes and approaches delivered to patients"
    )
    assert axes.loc[("drug", "row", "1"), "label"] == "Reducing harm"
    assert pd.isna(axes.loc[("alcohol", "column", "A"), "description"])


def test_cell_without_labels_takes_them_from_the_axes(tmp_path):
    body = CELL.replace("Drug Treatment Matrix cell B5 Matrix cell logo\n", "").replace(
        "Practitioners; Safeguarding the community\n", ""
    )
    raw = folder_of(
        tmp_path / "raw",
        {
            "page.txt": body,
            "overview.txt": FIXTURES / "site/overview_drug_matrix.txt",
            "manifest.csv": "file,url,captured_at\npage.txt,https://findings.org.uk/"
            "PHP/dl.php?file=Matrix/Drugs/B5.htm,\n",
        },
    )
    cells = run_on(raw, tmp_path).table("cells").query("captured")
    assert cells[["cell_id", "column_label", "row_label"]].values.tolist() == [
        ["drug-B5", "Practitioners", "Safeguarding the community"]
    ]


def test_alike_listings_in_many_cells_are_one_work_matched_as_each_pair_would_be():
    from pipeline.publish.works import WorkKey, assign_works

    def key(entry: str, cell: str, title: str, year: int, href: str | None = None) -> WorkKey:
        return WorkKey(entry, cell, title, (year,), None, "An annotation.", href)

    keys = [
        key("x1", "X", "Treating alcohol problems", 2010),
        key("y1", "Y", "Treating alcohol problems", 2010),
        key("z1", "Z", "Treating alcohol problems", 2010),
        key("x2", "X", "Treating alcohol problems", 2010),  # listed twice in X: joined only through Y and Z
        key("y2", "Y", "Treating alcohol problems.", 2010),  # nearly the same title
        key("w1", "W", "Treating alcohol problems", 2012),  # another year: never compared
        key("x3", "X", "Counselling", 2001, "https://findings.org.uk/a"),
        key("y3", "Y", "Counselling services", 2003, "https://findings.org.uk/a"),
        key("z3", "Z", "Counselling", 2001, "https://findings.org.uk/b"),
    ]
    works = assign_works(keys)
    same = {e for e in works if works[e][0] == works["x1"][0]}
    assert same == {"x1", "y1", "z1", "x2", "y2"}
    assert {e: works[e][1:] for e in works} == {
        "x1": ("title", 100.0),
        "y1": ("title", 100.0),
        "z1": ("title", 100.0),
        "x2": ("title", 100.0),
        "y2": ("title", 98.0),  # its best partners are in X and Z; y1 is in its own cell
        "w1": ("unique", 0.0),
        "x3": ("href", 100.0),
        "y3": ("href", 100.0),
        "z3": ("unique", 0.0),
    }
    assert works["x3"][0] == works["y3"][0] != works["z3"][0] != works["w1"][0]
    # a listing alike in two places of one cell joins the near match in another cell from both
    pair = assign_works(
        [
            key("x1", "X", "Treating alcohol problems", 2010),
            key("y1", "Y", "Treating alcohol problems.", 2010),
            key("x2", "X", "Treating alcohol problems", 2010),
        ]
    )
    assert pair["x1"][0] == pair["y1"][0] == pair["x2"][0]
