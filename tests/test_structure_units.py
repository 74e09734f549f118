"""References, identity and entries on made-up lines."""

from __future__ import annotations

import json

import pytest

from pipeline.clean.passes import clean
from pipeline.extract.read import read_capture
from pipeline.model import Block, Capture, to_json
from pipeline.site import matrix
from pipeline.structure import structure
from pipeline.structure.crossrefs import find_cell_mentions
from pipeline.structure.hints import hint, lowered_bytes
from pipeline.structure.references import parse_reference


@pytest.mark.parametrize(
    "inner, year, years, issuer, jurisdiction, note",
    [
        ("1988", 1988, [1988], None, None, None),
        ("1997 and 2000", 1997, [1997, 2000], None, None, None),
        ("2014; free source at time of writing", 2014, [2014], None, None, "free source at time of writing"),
        ("[UK] Home Office, 1999", 1999, [1999], "Home Office", "UK", None),
        ("American Psychological Association, 2011", 2011, [2011], "American Psychological Association", None, None),
        ("Cochrane review, 2011", 2011, [2011], "Cochrane review", None, None),
        ("[UK] Ministry of Justice Research, 2011", 2011, [2011], "Ministry of Justice Research", "UK", None),
    ],
)
def test_reference_forms(inner, year, years, issuer, jurisdiction, note):
    ref = parse_reference(inner)
    assert (ref.year, ref.years, ref.issuer, ref.jurisdiction, ref.note) == (year, years, issuer, jurisdiction, note)


@pytest.mark.parametrize("inner", ["in 2007", "section 6.24", "51% v. 41%", "see below", "since 2010"])
def test_not_references(inner):
    assert parse_reference(inner) is None


@pytest.mark.parametrize(
    "url, cell",
    [
        ("https://findings.org.uk/PHP/dl.php?file=Matrix/Alcohol/A4.htm", "alcohol-A4"),
        ("https://findings.org.uk/PHP/dl.php?f=Matrix%2FDrugs%2FB3.htm&s=eb&sf=rel", "drug-B3"),
        ("https://findings.org.uk/count/downloads/download.php?file=Matrix/Drugs/E5.htm", "drug-E5"),
        ("https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/Drugs_Matrix.htm", None),
        ("https://findings.org.uk/PHP/dl.php?file=White_W_3.txt", None),
        (None, None),
    ],
)
def test_cell_from_url(url, cell):
    assert matrix.cell_from_url(url) == cell


def test_mentions_take_the_other_matrix_only_when_named():
    text = (
        "Discussed in cell E3 and cells A1 and B2; see cell D2 of the Alcohol Treatment Matrix, "
        "and the Drug Treatment Matrix's cell C4."
    )
    assert [m.target_cell_id for m in find_cell_mentions(text, "drug")] == [
        "drug-E3",
        "drug-A1",
        "drug-B2",
        "alcohol-D2",
        "drug-C4",
    ]
    assert [m.target_cell_id for m in find_cell_mentions(text, "alcohol")] == [
        "alcohol-E3",
        "alcohol-A1",
        "alcohol-B2",
        "alcohol-D2",
        "drug-C4",
    ]


def page_from(text: str, url: str | None = None):
    return structure(clean(read_capture("t.txt", text.encode(), url)))


CELL = """Comment/query

Drug Treatment Matrix cell B5 Matrix cell logo

Practitioners; Safeguarding the community

What practitioners can do to protect others, discussed with cell A1 in mind.

S Seminal studiesK Key studiesR ReviewsG Guidancemore Search for more studies

K Keeping children safe (2010). Study of home visits; see cell C5.

R Does training change practice? (2015; free source at time of writing). Review of training.

G Protecting families guidance ([UK] Home Office, 1999). Guidance for staff.

more Search for more on safeguarding.

Last revised 02 March 2019. First uploaded 01 June 2013
"""


def test_cell_page_read_whole():
    page = page_from(CELL)
    cell = page.cell
    assert (page.kind, cell.cell_id, cell.column_label, cell.row_label) == (
        "cell",
        "drug-B5",
        "Practitioners",
        "Safeguarding the community",
    )
    assert cell.description.text == "What practitioners can do to protect others, discussed with cell A1 in mind."
    assert [e.title for e in cell.entries] == [
        "Keeping children safe",
        "Does training change practice?",
        "Protecting families guidance",
    ]
    assert [e.types for e in cell.entries] == [["K"], ["R"], ["G"]]
    assert cell.more.text == "Search for more on safeguarding."
    assert (cell.last_revised, cell.first_uploaded) == ("2019-03-02", "2013-06-01")
    assert not cell.truncated


def test_references_and_cell_mentions_are_in_the_structure_record():
    """Structure reads every text's references and cell mentions once; its record holds them as written."""
    page = page_from(
        CELL.replace(
            "Last revised", "Bite: compare cell E2 of the Alcohol Treatment Matrix (Smith, 2012).\n\nLast revised"
        )
    )
    cell = json.loads(to_json(page))["cell"]
    assert cell["description"]["references"] == [] and cell["more"] == {
        "text": "Search for more on safeguarding.",
        "spans": [],
        "references": [],
        "mentions": [],
    }
    assert cell["description"]["mentions"] == [{"start": 60, "end": 67, "text": "cell A1", "target_cell_id": "drug-A1"}]
    assert [(e["body"]["references"], e["body"]["mentions"]) for e in cell["entries"]] == [
        (
            [
                {
                    "text": "2010",
                    "year": 2010,
                    "years": [2010],
                    "issuer": None,
                    "jurisdiction": None,
                    "note": None,
                    "start": 22,
                    "end": 28,
                }
            ],
            [{"start": 56, "end": 63, "text": "cell C5", "target_cell_id": "drug-C5"}],
        ),
        (
            [
                {
                    "text": "2015; free source at time of writing",
                    "year": 2015,
                    "years": [2015],
                    "issuer": None,
                    "jurisdiction": None,
                    "note": "free source at time of writing",
                    "start": 31,
                    "end": 69,
                }
            ],
            [],
        ),
        (
            [
                {
                    "text": "[UK] Home Office, 1999",
                    "year": 1999,
                    "years": [1999],
                    "issuer": "Home Office",
                    "jurisdiction": "UK",
                    "note": None,
                    "start": 29,
                    "end": 53,
                }
            ],
            [],
        ),
    ]
    assert [p["body"] for p in cell["bite"]] == [
        {
            "text": "Bite: compare cell E2 of the Alcohol Treatment Matrix (Smith, 2012).",
            "spans": [],
            "references": [
                {
                    "text": "Smith, 2012",
                    "year": 2012,
                    "years": [2012],
                    "issuer": "Smith",
                    "jurisdiction": None,
                    "note": None,
                    "start": 54,
                    "end": 67,
                }
            ],
            "mentions": [{"start": 14, "end": 21, "text": "cell E2", "target_cell_id": "alcohol-E2"}],
        }
    ]


def test_mention_of_another_cell_is_not_identity():
    body = CELL.replace("Drug Treatment Matrix cell B5 Matrix cell logo\n", "")
    page = page_from(body)
    assert page.kind != "cell" or page.cell is None
    assert page.errors and "manifest.csv" in page.errors[0]
    assert page_from(body, "https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/B5.htm").cell.cell_id == "drug-B5"


def test_cut_off_entry_is_kept_and_flagged():
    page = page_from(CELL.split("R Does training")[0] + "R Does training change practice? (2015). Review of tra")
    last = page.cell.entries[-1]
    assert (last.title, last.annotation, last.cut_off) == ("Does training change practice?", "Review of tra", True)
    assert page.cell.truncated
    assert not page.cell.entries[0].cut_off


def test_tag_letters_on_their_own_line():
    text = CELL.replace("K Keeping", "K\nKeeping").replace("R Does", "S R\nDoes")
    entries = page_from(text).cell.entries
    assert [e.types for e in entries] == [["K"], ["S", "R"], ["G"]]
    assert entries[0].title == "Keeping children safe"


def test_text_in_entry_list_that_is_no_entry_is_dropped_with_a_warning():
    text = CELL.replace("R Does", "Chart: share of families visited, by year\n\nR Does")
    page = page_from(text)
    assert len(page.cell.entries) == 3
    assert any("not an entry" in w for w in page.warnings)


def test_blocks_only_of_furniture_quarantine_the_capture():
    page = structure(
        clean(Capture("t", "text", "", [Block("paragraph", "Tweet"), Block("paragraph", "Comment/query")]))
    )
    assert page.errors == ["no content: the capture is empty or holds only site furniture"]


def test_a_hint_is_found_in_any_mix_of_cases_and_only_one_bytes_can_find_is_taken():
    """hints.py: a text's lower-cased UTF-8 holds a hint exactly when its lower case does; a hint with a
    letter that a character beyond ASCII lower-cases to ("i", "k") or a capital is refused."""
    texts = ("See CeLL D2", "caf\u00e9 \u2019cells\u2019", "ce ll", "\u0130 t REV", "t upload\ud800")
    assert [hint("cell") in lowered_bytes(t) for t in texts] == [True, True, False, False, False]
    assert [hint("t rev") in lowered_bytes(t) for t in texts] == [False, False, False, True, False]
    assert lowered_bytes("\u00c9 Cell") == "\u00c9 cell".encode()  # only ASCII capitals change
    for refused in ("kind", "Cell", "caf\u00e9"):
        with pytest.raises(ValueError):
            hint(refused)
