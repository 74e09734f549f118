"""Analysis pages (one document each): recognised and named here; their full tables come later."""
from __future__ import annotations

import re

from pipeline.model import AnalysisPage, CleanBlock

_KINDS = (
    (re.compile(r"analysis of a study|Research analysis", re.I), "study"),
    (re.compile(r"review or synthesis|Review analysis", re.I), "review"),
    (re.compile(r"analysis of a document|added to the Effectiveness Bank|^Analysis$", re.I), "document"),
)
_NOT_TITLE = re.compile(r"^(?:This entry is our analysis|Top 10 most closely)", re.I)


def build_analysis(blocks: list[CleanBlock]) -> AnalysisPage:
    title = next((cb.block.text for cb in blocks if cb.is_content and not _NOT_TITLE.match(cb.block.text)), None)
    kind = None
    for cb in blocks:
        text = cb.block.text if cb.is_content else cb.block.text.split("window")[-1].strip()
        kind = next((k for pattern, k in _KINDS if pattern.search(text)), None)
        if kind:
            break
    return AnalysisPage(title=title.rstrip(".") if title else None, doc_kind=kind)
