"""Structure stage: a cleaned capture becomes a `Page` – a cell, an analysis page, an overview, or other."""

from __future__ import annotations

import re
from collections import Counter

from pipeline.model import CleanCapture, Page
from pipeline.structure.analysis import build_analysis
from pipeline.structure.cell import build_cell
from pipeline.structure.entries import lists_entries
from pipeline.structure.identity import find_identity, page_kind
from pipeline.structure.marks import mark_cell_texts
from pipeline.structure.overview import build_axes

_SITE = re.compile(
    r"Effectiveness Bank|Drug and Alcohol Findings|DRUG & ALCOHOL FINDINGS|findings\.org\.uk|"
    r"(?:Alcohol|Drugs?) (?:Treatment )?Matrix",
    re.I,
)


def structure(clean: CleanCapture) -> Page:
    capture = clean.capture
    blocks = clean.blocks
    removed = Counter(
        cb.role if cb.role != "furniture" else f"furniture:{cb.reason.split(':')[0]}"
        for cb in blocks
        if not cb.is_content
    )
    page = Page(
        capture=capture.file,
        format=capture.format,
        sha256=capture.sha256,
        kind="other",
        url=capture.url,
        captured_at=capture.captured_at,
        furniture_removed=sum(n for k, n in removed.items() if k.startswith(("furniture", "repeat"))),
        removed=dict(sorted(removed.items())),
        warnings=list(capture.warnings) + list(clean.warnings),
        errors=list(capture.errors),
    )
    if page.errors:
        return page
    identity = find_identity(blocks, capture.url)
    has_entries = lists_entries(cb.block for cb in blocks if cb.is_content)
    page.kind = page_kind(blocks, capture.url, identity, has_entries)
    if page.kind == "cell" and identity:
        page.cell, warnings = build_cell(blocks, identity, capture.file)
        page.warnings += warnings
        mark_cell_texts(page.cell)
    elif page.kind == "analysis":
        page.analysis = build_analysis(blocks)
    elif page.kind == "overview":
        page.axes = build_axes(blocks, capture.url)
    elif has_entries:
        page.errors.append(
            "looks like a cell page but never says which cell, and no URL is known for it: "
            "add a row for it to manifest.csv (file,url,captured_at)"
        )
    elif not any(cb.is_content for cb in blocks):
        page.errors.append("no content: the capture is empty or holds only site furniture")
    elif page.kind == "other" and not page.furniture_removed and not any(_SITE.search(cb.block.text) for cb in blocks):
        page.errors.append(
            "not a page of the Effectiveness Bank: no cell, analysis or overview page, and none of the site's furniture"
        )
    return page
