"""Issue 14's rules at their edges, on made-up lines: what each newly accepted form still refuses."""

from __future__ import annotations

import pytest

from pipeline.clean.passes import clean
from pipeline.extract.read import read_capture
from pipeline.model import Page
from pipeline.site.furniture import classify_line
from pipeline.structure import structure
from pipeline.structure.entries import primary_reference

CELL_URL = "https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/C2.htm"
INTRO = (
    "This entry is our analysis of a document considered particularly relevant to improving outcomes from drug "
    "or alcohol interventions in the UK. The summary conveys the findings and views expressed in the document."
)


def page_of(text: str, url: str | None = None) -> Page:
    return structure(clean(read_capture("made-up.txt", text.encode(), url)))


@pytest.mark.parametrize(
    "body, title_end, year",
    [
        ("Outreach pays off (1993) From a trial in one clinic.", "Outreach pays off", 1993),
        ("Outreach pays off (1993) “Remarkable” results, said the authors.", "Outreach pays off", 1993),
        ("Outreach pays off (1993). From a trial in one clinic.", "Outreach pays off", 1993),
        ("Outreach (and why) pays off (1993) From a trial.", "Outreach (and why) pays off", 1993),
        ("Guidance on outreach ([UK] Home Office, 2019) Sets out what to do.", "Guidance on outreach", 2019),
    ],
)
def test_reference_ends_the_title_with_or_without_its_full_stop(body, title_end, year):
    ref = primary_reference(body)
    assert (body[: ref.start].strip(), ref.year) == (title_end, year)


@pytest.mark.parametrize(
    "body",
    [
        "Outreach (and why) pays off. From a trial in one clinic.",
        "Outreach pays off (1993) from a trial in one clinic, lower case: the title goes on.",
    ],
)
def test_parenthesis_without_a_year_or_inside_the_title_is_not_the_reference(body):
    assert primary_reference(body) is None


@pytest.mark.parametrize(
    "line, category",
    [
        ("One of 25 cells in the Alcohol Treatment Matrix Matrix cell logo", "cell-header"),
        ("One of 25 cells in the Drug Treatment Matrix", "cell-header"),
        ("S Seminal studiesK Key studiesR ReviewsG Guidance Matrix cell logo", "cell-header"),
        ("One of 25 cells in the Alcohol Treatment Matrix is about screening drinkers", None),
    ],
)
def test_furniture_pattern_followed_by_phrases(line, category):
    assert classify_line(line) == category


def test_tag_lines_said_twice_are_not_furniture():
    text = "K\nFirst key study of outreach (2001). Annotation one.\nK\nSecond key study of outreach (2002). Two.\n"
    entries = page_of(text, CELL_URL).cell.entries
    assert [(e.types, e.types_inferred, e.title, e.reference.year) for e in entries] == [
        (["K"], False, "First key study of outreach", 2001),
        (["K"], False, "Second key study of outreach", 2002),
    ]


def test_description_is_the_first_prose_paragraph_not_a_labels_or_header_line():
    text = (
        "Drug Treatment Matrix cell C2: Management/supervision; Generic and cross-cutting issues\n"
        "Management/supervision; Generic and cross-cutting issues\n"
        "One of 25 cells in the Drug Treatment Matrix Matrix cell logo\n"
        "Cell guide\n"
        "Key studies on how managers keep services working well, whatever the treatment offered.\n"
        "K A key study of managers (2001). Annotation.\n"
    )
    assert page_of(text).cell.description.text == (
        "Key studies on how managers keep services working well, whatever the treatment offered."
    )


def test_capture_starting_at_its_entries_has_no_description():
    assert page_of("K A key study of managers (2001). Annotation.\n", CELL_URL).cell.description is None


@pytest.mark.parametrize(
    "source, year",
    [
        ("University of Kent, 2016", 2016),
        ("University of Kent, 2016.", 2016),
        ("[UK] Home Office, 2019", 2019),
        ("[UK] Department of Health, Social Services and Public Safety, 2012.", 2012),
        ("Centre for Public Health, Liverpool John Moores University, 2018.", 2018),
        ("Uxbridge: Brunel University, 2011", 2011),
    ],
)
def test_publisher_line_with_or_without_its_full_stop(source, year):
    text = f"{INTRO}\nA made-up report on outreach.\nMade-up Organisation.\n{source}\nWhat the report found.\n"
    analysis = page_of(text).analysis
    assert (analysis.title, analysis.authors, analysis.source, analysis.year) == (
        "A made-up report on outreach",
        "Made-up Organisation.",
        source,
        year,
    )


def test_sentence_case_title_ending_in_a_year_is_not_a_publisher():
    text = f"{INTRO}\nDrinking trends among young adults, 2010.\nSmith J, Jones K.\nUniversity of Kent, 2016\n"
    analysis = page_of(text).analysis
    assert (analysis.title, analysis.source, analysis.year) == (
        "Drinking trends among young adults, 2010",
        "University of Kent, 2016",
        2016,
    )
