"""The bench's synthetic corpus spreads its pages over the site's cells and documents as named."""

from pathlib import Path

from bench import synth
from pipeline.clean.passes import clean
from pipeline.extract.read import read_capture
from pipeline.merge.fold import document_id
from pipeline.site import matrix
from pipeline.structure import structure

RAW = Path(__file__).parent.parent / "raw"


def _named(page: synth.Page) -> tuple[str, str | None, str | None]:
    structured = structure(clean(read_capture(page.name, page.data)))
    if structured.cell:
        return structured.cell.cell_id, structured.cell.column_label, structured.cell.row_label
    assert structured.analysis is not None
    return document_id(structured.analysis), structured.analysis.title, None


def test_each_round_of_seeds_and_formats_is_the_next_cell_or_document() -> None:
    seeds = synth.seeds(RAW)
    rounds = len(seeds) * len(synth.FORMATS)
    pages = synth.corpus(seeds, 2 * rounds)
    named = [_named(p) for p in pages]
    first = {n[:2] for n in named[:rounds]}
    second = {n[:2] for n in named[rounds:]}
    title = next(s.title for s in seeds if s.title)
    assert {n for n in first if not n[0].startswith("doc-")} == {(matrix.ALL_CELLS[0], "Interventions")}
    assert {n for n in second if not n[0].startswith("doc-")} == {(matrix.ALL_CELLS[1], "Interventions")}
    assert {n[1] for n in first if n[0].startswith("doc-")} == {f"{title} (1)"}
    assert {n[1] for n in second if n[0].startswith("doc-")} == {f"{title} (2)"}
    assert [n[2] for n in named[:rounds] if not n[0].startswith("doc-")] == ["Screening and brief intervention"] * (
        len([s for s in seeds if s.cell]) * len(synth.FORMATS)
    )
    assert {n[2] for n in named[rounds:] if not n[0].startswith("doc-")} == {"Generic and cross-cutting issues"}
