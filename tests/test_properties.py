"""Property-based tests: arbitrary input never crashes a stage; cleaning is idempotent; order does not matter."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import clean
from pipeline.merge import merge, merge_documents
from pipeline.model import Capture, to_json
from pipeline.readers import read_capture
from pipeline.structure import structure
from pipeline.tables import build_tables

from conftest import FIXTURES, RAW

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEED_LINES = [line for path in sorted(RAW.glob("*.txt")) for line in path.read_text("utf-8").splitlines()
              if line.strip()][:400]
FURNITURE = ["Tweet", "Comment/query", "Alcohol Treat", "Matrix", "Society for the S", "of Addiction", "S", "K G",
             "more Search for more studies", "- 1 Label", "<p>", "**", "[x](#)", "Last revised 01 May 2020."]
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
    _run(p.read_bytes(), p.name) for p in sorted((FIXTURES / "html").glob("*.html"))]


@settings(max_examples=30, deadline=None)
@given(st.permutations(PAGES))
def test_tables_do_not_depend_on_capture_order(pages):
    cells, notes = merge(pages)
    expected_cells, expected_notes = merge(PAGES)
    assert [to_json(c) for c in cells] == [to_json(c) for c in expected_cells]
    assert notes == expected_notes
    assert [to_json(d) for d in merge_documents(pages)] == [to_json(d) for d in merge_documents(PAGES)]
    assert build_tables(cells, merge_documents(pages), []) == build_tables(expected_cells, merge_documents(PAGES), [])
