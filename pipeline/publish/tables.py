"""Merged cells to table rows (cells, entries, citations, links). Pure: no I/O, no clock."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from urllib.parse import urlparse

from pipeline.merge.revisions import History
from pipeline.model import Axis, Cell, Document, Entry, Paragraph, Rich
from pipeline.publish.history import history_tables
from pipeline.publish.resolve import resolve_document
from pipeline.publish.works import WorkKey, assign_works
from pipeline.runtime.ids import stable_id
from pipeline.site import matrix
from pipeline.structure.crossrefs import find_cell_mentions
from pipeline.structure.references import find_references

_DOCUMENT = re.compile(r"(?:dl|download)\.php\?|\.(?:pdf|txt|cab|docx?)\b", re.I)


def build_tables(
    cells: list[Cell], documents: list[Document], axes: list[Axis], history: History
) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {
        name: [] for name in ("cells", "entries", "citations", "links", "documents", "sections", "matrix_axes")
    }
    labels = {(a.matrix, a.axis, a.code): a.label for a in axes}
    for cell in cells:
        _cell_tables(cell, tables, labels)
    for document in documents:
        _document_tables(document, tables)
    tables["matrix_axes"] = [
        {"matrix": a.matrix, "axis": a.axis, "code": a.code, "label": a.label, "description": a.description}
        for a in axes
    ]
    _link_works_and_documents(tables["entries"], tables["documents"], cells)
    return tables | history_tables(history)


def _cell_tables(cell: Cell, tables: dict[str, list[dict]], labels: dict) -> None:
    page = cell.page
    cid = page.cell_id
    printed = page.labels_printed
    tables["cells"].append(
        {
            "cell_id": cid,
            "matrix": page.matrix,
            "column_code": page.column_code,
            "row_code": page.row_code,
            "column_label": page.column_label
            if "column" in printed
            else labels[(page.matrix, "column", page.column_code)],
            "row_label": page.row_label if "row" in printed else labels[(page.matrix, "row", str(page.row_code))],
            "description": page.description.text if page.description else None,
            "last_revised": _date(page.last_revised),
            "first_uploaded": _date(page.first_uploaded),
            "more": page.more.text if page.more else None,
            "entry_count": len(page.entries),
            "truncated": page.truncated,
            "identified_by": page.identity_from,
            "sources": list(cell.sources),
        }
    )
    seen: Counter[str] = Counter()
    for entry in page.entries:
        key = (" ".join(entry.title.lower().split()), entry.reference.year if entry.reference else None)
        seen[str(key)] += 1
        entry_id = f"{cid}-{stable_id(cid, *key, seen[str(key)])}"
        tables["entries"].append(_entry_row(cid, entry_id, entry))
        tables["citations"] += _entry_citations(cid, entry_id, entry)
        tables["links"] += _links(cid, entry_id, "entry", 0, entry.body, page.matrix)
    for section, rich in (("description", page.description), ("more", page.more)):
        if rich:
            tables["citations"] += _citations(cid, None, section, 0, rich.text, rich, 0)
            tables["links"] += _links(cid, None, section, 0, rich, page.matrix)
    for n, paragraph in enumerate(page.bite, start=1):
        tables["citations"] += _citations(cid, None, "bite", n, paragraph.body.text, paragraph.body, 0)
        tables["links"] += _links(cid, None, "bite", n, paragraph.body, page.matrix)
        tables["sections"].append(_section_row(cid, None, n, paragraph))


def _section_row(cell_id: str | None, document_id: str | None, n: int, paragraph: Paragraph) -> dict:
    return {
        "section_id": f"{cell_id or document_id}-{stable_id(n, paragraph.body.text)}",
        "cell_id": cell_id,
        "document_id": document_id,
        "section": paragraph.section,
        "heading_path": list(paragraph.heading_path),
        "position": n,
        "text": paragraph.body.text,
        "supplementary": paragraph.supplementary,
    }


def _document_tables(document: Document, tables: dict[str, list[dict]]) -> None:
    page, did = document.page, document.document_id
    tables["documents"].append(
        {
            "document_id": did,
            "title": page.title,
            "authors": page.authors,
            "source": page.source,
            "year": page.year,
            "doc_kind": page.doc_kind,
            "summary": page.summary,
            "key_points": list(page.key_points),
            "commentary": page.commentary,
            "last_revised": _date(page.last_revised),
            "first_uploaded": _date(page.first_uploaded),
            "url": document.url,
            "cut_off": page.cut_off,
            "sources": list(document.sources),
        }
    )
    for n, paragraph in enumerate(page.sections, start=1):
        tables["sections"].append(_section_row(None, did, n, paragraph))
    for n, item in enumerate(page.related, start=1):
        tables["citations"].append(
            {
                "citation_id": f"{did}-{stable_id('related', n, item.title)}",
                "cell_id": None,
                "document_id": did,
                "entry_id": None,
                "role": "related",
                "section": "related",
                "position": n,
                "text": item.title,
                "listed_kind": item.kind,
                "anchor_text": None,
                "year": item.year,
                "issuer": None,
                "jurisdiction": None,
                "note": None,
            }
        )
        kind = (
            "cell"
            if item.target_cell_id
            else ("document" if link_kind(item.href) == "placeholder" else link_kind(item.href))
        )
        tables["links"].append(
            {
                "link_id": f"{did}-{stable_id('related', n, item.title)}",
                "cell_id": None,
                "document_id": did,
                "entry_id": None,
                "section": "related",
                "position": n,
                "anchor_text": item.title,
                "href": None if link_kind(item.href) == "placeholder" else item.href,
                "kind": kind,
                "origin": "link" if item.href else "text",
                "target_cell_id": item.target_cell_id,
            }
        )


def _link_works_and_documents(entries: list[dict], documents: list[dict], cells: list[Cell]) -> None:
    keys = [
        WorkKey(e["entry_id"], e["cell_id"], e["title"], tuple(e["years"]), e["issuer"], e["annotation"], e["href"])
        for e in entries
    ]
    works = assign_works(keys)
    for e in entries:
        e["work_id"], e["work_method"], e["work_score"] = works[e["entry_id"]]
        e["document_id"], e["document_method"] = resolve_document(e, documents)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _entry_row(cid: str, entry_id: str, e: Entry) -> dict:
    ref = e.reference
    return {
        "entry_id": entry_id,
        "cell_id": cid,
        "position": e.position,
        "types": list(e.types),
        "types_inferred": e.types_inferred,
        "title": e.title,
        "year": ref.year if ref else None,
        "years": list(ref.years) if ref else [],
        "issuer": ref.issuer if ref else None,
        "jurisdiction": ref.jurisdiction if ref else None,
        "note": ref.note if ref else None,
        "reference": ref.text if ref else None,
        "annotation": e.annotation,
        "href": None if link_kind(e.title_href) == "placeholder" else e.title_href,
        "cut_off": e.cut_off,
        "source_capture": e.capture,
        "source_line": e.line,
    }


def _entry_citations(cid: str, entry_id: str, e: Entry) -> list[dict]:
    rows = []
    if e.reference:
        ref = e.reference
        rows.append(
            {
                "citation_id": f"{cid}-{stable_id(entry_id, 'primary')}",
                "cell_id": cid,
                "document_id": None,
                "entry_id": entry_id,
                "listed_kind": None,
                "role": "primary",
                "section": "entry",
                "position": 1,
                "text": f"{e.title} ({ref.text})",
                "anchor_text": None,
                "year": ref.year,
                "issuer": ref.issuer,
                "jurisdiction": ref.jurisdiction,
                "note": ref.note,
            }
        )
    start = e.reference.end if e.reference else 0
    return rows + _citations(cid, entry_id, "entry", 0, e.body.text, e.body, start, first=len(rows) + 1)


def _citations(
    cid: str, entry_id: str | None, section: str, paragraph: int, text: str, rich: Rich, start: int, first: int = 1
) -> list[dict]:
    rows = []
    for n, ref in enumerate((r for r in find_references(text) if r.start >= start), start=first):
        anchor = next(
            (rich.text[s.start : s.end] for s in rich.spans if s.kind == "link" and 0 <= ref.start - s.end <= 2), None
        )
        rows.append(
            {
                "citation_id": f"{cid}-{stable_id(entry_id, section, paragraph, n, ref.text)}",
                "cell_id": cid,
                "document_id": None,
                "entry_id": entry_id,
                "listed_kind": None,
                "role": "secondary",
                "section": section,
                "position": n,
                "text": ref.text,
                "anchor_text": anchor,
                "year": ref.year,
                "issuer": ref.issuer,
                "jurisdiction": ref.jurisdiction,
                "note": ref.note,
            }
        )
    return rows


def link_kind(href: str | None) -> str:
    if not href or href.strip() in ("#", ""):
        return "placeholder"
    if href.startswith("#"):
        return "in-page"
    if href.lower().startswith("mailto:"):
        return "email"
    if matrix.cell_from_url(href):
        return "cell"
    if _DOCUMENT.search(href):
        return "document"
    host = urlparse(href).netloc.lower()
    return "external" if host and "findings.org.uk" not in host else "document"


def _links(cid: str, entry_id: str | None, section: str, paragraph: int, rich: Rich, own_matrix: str) -> list[dict]:
    mentions = find_cell_mentions(rich.text, own_matrix)
    items = []
    link_spans = [s for s in rich.spans if s.kind == "link"]
    for s in link_spans:
        kind = link_kind(s.href)
        inside = [m for m in mentions if m.start >= s.start and m.end <= s.end]
        target = matrix.cell_from_url(s.href) or (inside[0].target_cell_id if inside else None)
        if target and kind == "placeholder":
            kind = "cell"
        items.append(
            (s.start, rich.text[s.start : s.end], None if kind == "placeholder" else s.href, kind, "link", target)
        )
    for m in mentions:
        if not any(s.start <= m.start and m.end <= s.end for s in link_spans):
            items.append((m.start, m.text, None, "cell", "text", m.target_cell_id))
    rows = []
    for n, (_offset, anchor, href, kind, origin, target) in enumerate(
        sorted(items, key=lambda x: (x[0], x[1])), start=1
    ):
        rows.append(
            {
                "link_id": f"{cid}-{stable_id(entry_id, section, paragraph, n, anchor, target)}",
                "cell_id": cid,
                "document_id": None,
                "entry_id": entry_id,
                "section": section,
                "position": n,
                "anchor_text": anchor,
                "href": href,
                "kind": kind,
                "origin": origin,
                "target_cell_id": target,
            }
        )
    return rows
