"""Cleaning rules on small, made-up pages (never on a seed's own sentences)."""

from __future__ import annotations

import pytest

from pipeline.clean.passes import clean
from pipeline.model import Block, Capture
from pipeline.site.furniture import classify_block


def cleaned(*texts: str, kind: str = "paragraph"):
    blocks = [Block(kind if not t.startswith("- ") else "list_item", t.removeprefix("- ")) for t in texts]
    return clean(Capture("t", "text", "", blocks))


@pytest.mark.parametrize(
    "line",
    [
        "2019/20 update funded by",
        "Funded by",
        "Alcohol Change UK",
        "Development also funded by",
        "Society for the Study of Addiction web site Society for the Study of Addiction",
        "Skills Consortium web site. Opens new window",
        "Effectiveness Bank Drug Treatment Matrix",
        "Includes harm reduction",
        "Articles, slides, and video",
        "Comment/query",
        "Send email for updates",
        "About updates",
        "Federation of Drug and Alcohol Professionals web site. Opens a new window",
        "Title and link for copying Comment/query to editor Drug Matrix Alcohol Matrix",
        "S Seminal studiesK Key studiesR ReviewsG Guidancemore Search for more studies",
        "S Seminal studies K Key studies R Reviews G Guidance MORE Search for more studies",
        "Links to other documents. Hover over for notes. Click to highlight passage referred to. Unfold extra text",
        "Close Matrix Bite",
        "▶ Return to/go to Drugs Matrix",
        "Effectiveness bank home page. Opens new window Matrix cell",
        "Copy title and link | Comment/query | Tweet",
        "Supported by Alcohol Research UK web site",
        # cut at a fixed width, wrapped, or garbled
        "Alcohol Treat\nMatrix",
        "Society for the S\nof Addiction",
        "Drug Treatme\nMatrix",
        "Include: interver",
        "Articles, and vid",
        "Send email fo\nupdates",
        "Comment/qu",
        "About the ma\nArticles,\nand vid",
        "Previously also\nfunded by",
    ],
)
def test_furniture_is_recognised(line):
    assert classify_block(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "Key points",
        "Main findings",
        "Issues to consider and discuss",
        "Home Office",
        "Drug misuse in over 16s: psychosocial interventions",
        "Guidance for England on commissioning",
        "Treatment systems; Psychosocial therapies",
        "Summary",
        "Matrix effects of funding",
        "K Promoting mutual aid (2010). Analyses the facilitators of groups.",
    ],
)
def test_content_is_not_furniture(line):
    assert classify_block(line) is None


def test_wrapped_piece_counts_only_after_furniture():
    assert classify_block("of Addiction") is None
    assert classify_block("of Addiction", after_furniture=True) == "funding"


def test_paragraph_split_by_sidebar_is_rejoined():
    result = cleaned(
        "The trial showed that services which tried harder were",
        "Developed with",
        "Alcohol Treat\nMatrix",
        "Tweet",
        "able to keep more patients in care.",
    )
    content = result.content()
    assert [b.text for b in content] == [
        "The trial showed that services which tried harder were able to keep more patients in care."
    ]
    assert [cb.role for cb in result.blocks] == ["content", "furniture", "furniture", "furniture", "joined"]


def test_sentence_end_or_capital_is_not_joined():
    result = cleaned(
        "First paragraph ends here.",
        "second starts lower but the first ended.",
        "A heading without a stop",
        "Next paragraph starts upper case.",
    )
    assert len(result.content()) == 4


def test_joined_spans_move_with_text():
    first = Block("paragraph", "Read the", [])
    from pipeline.model import Span

    second = Block("paragraph", "review below.", [Span(0, 6, "link", "#r")])
    result = clean(Capture("t", "markdown", "", [first, second]))
    (block,) = result.content()
    span = block.spans[0]
    assert block.text[span.start : span.end] == "review"


def test_pull_quote_restating_a_paragraph_is_dropped():
    body = (
        "Across the trials the picture was consistent: patients offered a choice of settings stayed "
        "longer, and those who stayed longer did better on every measure the researchers took."
    )
    result = cleaned(body, "Patients offered a choice of settings stayed longer", "Another paragraph follows.")
    assert [cb.role for cb in result.blocks] == ["content", "pullquote", "content"]


def test_short_paragraph_that_restates_nothing_is_kept():
    body = (
        "Across the trials the picture was consistent: patients offered a choice of settings stayed "
        "longer, and those who stayed longer did better on every measure the researchers took."
    )
    result = cleaned(body, "What should commissioners ask for in their contracts with services")
    assert [cb.role for cb in result.blocks] == ["content", "content"]


def test_numbered_chart_labels_are_dropped():
    result = cleaned(
        "Some paragraph of text.",
        "- 1 Attended once",
        "- 2 Attended weekly",
        "- 3 Abstinent",
        "- Mutual aid groups",
        "Next paragraph.",
    )
    assert [cb.role for cb in result.blocks] == ["content", "chart", "chart", "chart", "chart", "content"]


def test_a_list_of_sentences_is_kept():
    result = cleaned("- Staff should ask about drug use.", "- Services should offer testing.")
    assert all(cb.is_content for cb in result.blocks)


def test_cleaning_twice_changes_nothing():
    once = cleaned("Text that runs on", "Tweet", "and continues here.", "- 1 Label", "- 2 Label")
    again = clean(Capture("t", "text", "", once.content()))
    assert [b.text for b in again.content()] == [b.text for b in once.content()]


def test_unknown_furniture_is_reported_not_hidden():
    result = cleaned("Developed with", "Donate to our appeal", "Tweet", "A paragraph of content that ends.")
    assert [cb.role for cb in result.blocks] == ["furniture", "content", "furniture", "content"]
    assert len(result.warnings) == 1 and "'Donate to our appeal'" in result.warnings[0]


def test_known_structure_lines_beside_furniture_are_not_reported():
    result = cleaned("Key points icon", "Key points", "Comment/query", "Treatment systems; Medical treatment")
    assert result.warnings == []
