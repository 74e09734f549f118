"""The references and cell mentions in a cell page's running text, read once per capture: merge then
carries them with the text they were read from (an entry, the bite, taken from whichever capture gave
it), and publish only turns them into citation and link rows."""

from __future__ import annotations

from pipeline.model import CellPage
from pipeline.structure.crossrefs import find_cell_mentions
from pipeline.structure.references import find_references


def mark_cell_texts(cell: CellPage) -> None:
    """Every entry's body, the description, the "more" line and each bite paragraph; a mention names a
    cell of the page's own matrix unless the text names the other one."""
    texts = (
        [e.body for e in cell.entries] + [r for r in (cell.description, cell.more) if r] + [p.body for p in cell.bite]
    )
    for rich in texts:
        rich.references = find_references(rich.text)
        rich.mentions = find_cell_mentions(rich.text, cell.matrix)
