"""Issue 14's rules at their edges, on made-up lines: what each newly accepted form still refuses."""

from __future__ import annotations

import pytest

from pipeline.clean.passes import clean
from pipeline.extract.read import read_capture
from pipeline.model import Page
from pipeline.structure import structure

INTRO = (
    "This entry is our analysis of a document considered particularly relevant to improving outcomes from drug "
    "or alcohol interventions in the UK. The summary conveys the findings and views expressed in the document."
)


def page_of(text: str, url: str | None = None) -> Page:
    return structure(clean(read_capture("made-up.txt", text.encode(), url)))


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
