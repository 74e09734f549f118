"""Text, Markdown and HTML captures of the same page give the same entries."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, RAW

from pipeline.clean.passes import clean
from pipeline.extract.detect import detect_format
from pipeline.extract.html import read_html
from pipeline.extract.inline import InlineBuilder, one_line
from pipeline.extract.limits import Unreadable
from pipeline.extract.read import read_capture
from pipeline.model import Block
from pipeline.structure import structure

PAGES = {
    "alcohol-E4": ["000_4de8c99393e6b4f0.txt", "002_ce4cb470b6e6483c.txt", "html/alcohol-E4.html"],
    "drug-E4": ["001_4c2a54f4b529c65e.txt", "html/drug-E4.html"],
    "drug-E3": ["003_ee8d256968168fd8.txt", "html/drug-E3.html"],
}
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def page(name: str):
    path = FIXTURES / name if name.startswith("html/") else RAW / name
    return structure(clean(read_capture(path.name, path.read_bytes())))


def entries(name: str) -> list[tuple]:
    """What a reader of the cell sees of each entry; quote styles folded (the seeds' converters differ)."""
    return [
        (
            tuple(e.types),
            e.types_inferred,
            e.title.translate(_FOLD),
            e.reference and e.reference.text,
            e.annotation.translate(_FOLD),
            e.cut_off,
        )
        for e in page(name).cell.entries
    ]


@pytest.mark.parametrize("cell", sorted(PAGES))
def test_every_format_gives_the_same_entries(cell):
    captures = PAGES[cell]
    first = entries(captures[0])
    assert len(first) >= 15
    for other in captures[1:]:
        assert entries(other) == first, other


@pytest.mark.parametrize("cell", sorted(PAGES))
def test_every_format_names_the_same_cell(cell):
    for name in PAGES[cell]:
        p = page(name)
        assert p.kind == "cell" and p.cell.cell_id == cell, name
        assert p.errors == []


def test_html_and_markdown_bites_have_the_same_paragraph_count():
    md, html = page("002_ce4cb470b6e6483c.txt").cell.bite, page("html/alcohol-E4.html").cell.bite
    assert len(md) == len(html) == 33
    assert [p.heading_path for p in md] == [p.heading_path for p in html]
    assert sum(p.supplementary for p in md) == sum(p.supplementary for p in html) == 2


def test_html_analysis_page_is_an_analysis_page():
    p = page("html/analysis-nice-2007.html")
    assert p.kind == "analysis"
    assert p.analysis.title == "Drug misuse in over 16s: psychosocial interventions"


def test_script_style_and_comments_never_reach_blocks():
    capture = read_capture("x.html", (FIXTURES / "html/alcohol-E4.html").read_bytes())
    text = "\n".join(b.text for b in capture.blocks)
    assert "Should never appear" not in text and "Not real" not in text
    assert "{" not in text


def test_html_is_parsed_as_decoded_whatever_its_meta_charset_says():
    """decode.py chooses the encoding (UTF-8 here); the parser, handed UTF-8 bytes, must not read the page's
    <meta charset> again and take its letters for Windows-1252."""
    data = '<html><head><meta charset="windows-1252"></head><body><p>Café ’quoted’</p></body></html>'
    capture = read_capture("meta.html", data.encode("utf-8"))
    assert (capture.encoding, capture.blocks) == ("utf-8", [Block("paragraph", "Café ’quoted’", [], 0, 1, None)])


def test_html_with_a_lone_surrogate_is_parsed_as_a_str():
    """Such a text has no UTF-8 form: it is parsed as the str it is, and what libxml2 makes of it is said."""
    with pytest.raises(Unreadable) as raised:
        read_html("<p>one</p><p>t\ud800wo</p>")
    assert str(raised.value) == (
        "HTML Invalid bytes in character encoding at line 1: the rest of the page cannot be read"
    )


def test_a_utf8_page_is_parsed_from_its_own_bytes_as_from_its_text():
    """read_capture hands the HTML reader a UTF-8 page's bytes; an XML declaration before the page is
    dropped from the text, and then the bytes (which still hold it) are not used."""
    page = "<p>caf\u00e9 \u2019one\u2019</p>\n<p>two <a href='/x'>link</a></p>"
    for text in (page, '<?xml version="1.0"?>\n' + page):
        assert read_html(text, None, text.encode("utf-8")) == read_html(text)
    blocks = read_capture("p.html", page.encode("utf-8")).blocks
    assert [(b.text, b.line, [(s.start, s.end, s.href) for s in b.spans]) for b in blocks] == [
        ("caf\u00e9 \u2019one\u2019", 1, []),
        ("two link", 2, [(4, 8, "/x")]),
    ]


def test_a_plain_piece_builds_what_one_line_makes():
    """one_line (the text reader's shortcut) is what a builder given that piece alone builds."""
    pieces = ["  a\tb\u00a0 c ", "plain words", "x\u200by\u00ade", "e\u0301 \u3000 z", " ", "", "\u2028L\u2029"]
    for piece in pieces:
        builder = InlineBuilder()
        builder.text(piece)
        built = builder.build("paragraph")
        assert (built.text if built else "") == one_line(piece)
    assert [one_line(p) for p in pieces] == ["a b c", "plain words", "xye", "é z", "", "", "L"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<!DOCTYPE html><html><body><p>x</p></body></html>", "html"),
        ("<p>One</p><p>Two</p><div>three</div><p>four</p><p>five</p>", "html"),
        ("K [Title](#) (2012). Annotation with [a link](#).", "markdown"),
        ("## Heading\n\n**K** Title (2001). Text.", "markdown"),
        ("K Title (2012). Annotation [UK] text.\n\nAnother line", "text"),
        ("K Title \\(2012\\)\\. Annotation\\.\n\nMore text \\(see\\) here\\.", "markdown"),
        ("", "text"),
    ],
)
def test_format_detected_from_content(text, expected):
    assert detect_format(text) == expected


def test_markdown_saved_as_txt_is_read_as_markdown():
    capture = read_capture("whatever.txt", (FIXTURES / "site/cell_alcohol_C3_pdf_like_markdown.txt").read_bytes())
    assert capture.format == "markdown"
