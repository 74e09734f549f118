"""Property-based tests: arbitrary input never crashes a stage; cleaning is idempotent; order does not matter."""

from __future__ import annotations

import html
import re

from conftest import FIXTURES, RAW, Merged
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean.passes import clean
from pipeline.extract.read import read_capture
from pipeline.model import Capture, to_json
from pipeline.publish.tables import build_tables
from pipeline.structure import structure

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEED_LINES = [
    line for path in sorted(RAW.glob("*.txt")) for line in path.read_text("utf-8").splitlines() if line.strip()
][:400]
FURNITURE = [
    "Tweet",
    "Comment/query",
    "Alcohol Treat",
    "Matrix",
    "Society for the S",
    "of Addiction",
    "S",
    "K G",
    "more Search for more studies",
    "- 1 Label",
    "<p>",
    "**",
    "[x](#)",
    "Last revised 01 May 2020.",
]
page_text = st.lists(st.sampled_from(SEED_LINES + FURNITURE) | st.text(max_size=80), max_size=40).map("\n".join)


def _run(data: bytes, name: str = "x.txt"):
    return structure(clean(read_capture(name, data)))


@SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data):
    page = _run(data)
    assert page.kind in {"cell", "analysis", "overview", "other"}


@SETTINGS
@given(page_text)
def test_arbitrary_page_text_never_raises(text):
    page = _run(text.encode("utf-8"))
    if page.cell:
        assert all(e.title is not None for e in page.cell.entries)


@SETTINGS
@given(page_text)
def test_cleaning_is_idempotent(text):
    once = clean(read_capture("x.txt", text.encode("utf-8")))
    again = clean(Capture("x.txt", "text", "", once.content()))
    assert [b.text for b in again.content()] == [b.text for b in once.content()]


PAGES = [_run(p.read_bytes(), p.name) for p in sorted(RAW.glob("*.txt"))] + [
    _run(p.read_bytes(), p.name) for p in sorted((FIXTURES / "html").glob("*.html"))
]


@settings(max_examples=30, deadline=None)
@given(st.permutations(PAGES))
def test_tables_do_not_depend_on_capture_order(pages):
    """The production merge (`merge_all`, as the merge stage runs it) over the pages in any order."""
    merged, expected = Merged(list(pages)), Merged(PAGES)
    assert [to_json(c) for c in merged.cells] == [to_json(c) for c in expected.cells]
    assert merged.notes == expected.notes
    assert [to_json(d) for d in merged.documents] == [to_json(d) for d in expected.documents]
    assert build_tables(merged.cells, merged.documents, [], merged.history) == build_tables(
        expected.cells, expected.documents, [], expected.history
    )


TEXT_CELLS = [
    p
    for p in sorted(RAW.glob("*.txt"))
    if read_capture(p.name, p.read_bytes()).format == "text" and _run(p.read_bytes(), p.name).kind == "cell"
]
SIDEBAR = [
    "2020/21 update funded by",
    "Alcohol Change UK",
    "Developed with",
    "Alcohol Treat",
    "Matrix",
    "Tweet",
    "Send email for updates",
    "Comment/query",
]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+\-.!|()~])")


def _as_html(lines: list[str]) -> bytes:
    return ("<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</body></html>").encode()


def _as_markdown(lines: list[str]) -> bytes:
    return "\n\n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in lines).encode()


def _entries(data: bytes, name: str) -> list[tuple]:
    page = structure(clean(read_capture(name, data)))
    return [
        (tuple(e.types), e.types_inferred, e.title, e.reference and e.reference.text, e.annotation, e.cut_off)
        for e in page.cell.entries
    ]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(TEXT_CELLS), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(SIDEBAR)), max_size=6))
def test_text_markdown_and_html_forms_of_a_page_give_the_same_entries(path, insertions):
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    for position, furniture in insertions:  # the sidebar lands anywhere between paragraphs
        lines.insert(position % (len(lines) + 1), furniture)
    text = _entries("\n".join(lines).encode(), "page.txt")
    assert len(text) >= 16
    assert _entries(_as_markdown(lines), "page.md") == text
    assert _entries(_as_html(lines), "page.html") == text
