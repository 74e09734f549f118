"""Merged cells to table rows (cells, entries, citations, links, works, …). Pure: no I/O, no clock."""

from __future__ import annotations

from collections import Counter
from datetime import date

from pipeline.merge.revisions import History
from pipeline.model import Axis, Cell, Document, Entry, Paragraph, Rich
from pipeline.publish.history import PerCell, cell_tables, history_tables
from pipeline.publish.issuers import Issuer, canonical_names
from pipeline.publish.links import Place, canonical, link_rows
from pipeline.publish.resolve import resolve_document
from pipeline.publish.sitefacts import SITE_TABLES
from pipeline.publish.works import WorkKey, assign_works, work_rows
from pipeline.runtime.ids import stable_id
from pipeline.site import matrix, urls


def build_tables(
    cells: list[Cell],
    documents: list[Document],
    axes: list[Axis],
    history: History,
    per_cell: PerCell = cell_tables,
) -> dict[str, list[dict]]:
    """Every table's rows but the captures' (captures.py, made a batch at a time as they are written);
    each cell's history tables from `per_cell` (see `history_tables`)."""
    tables: dict[str, list[dict]] = {name: [] for name in SITE_TABLES}
    labels = {(a.matrix, a.axis, a.code): a.label for a in axes}
    captured = {cell.page.cell_id: cell for cell in cells}
    for name in matrix.MATRICES:
        for column in matrix.COLUMNS:
            for row in matrix.ROWS[name]:
                cid = matrix.cell_id(name, f"{column}{row}")
                if cid in captured:
                    _cell_tables(captured[cid], tables, labels)
                else:
                    tables["cells"].append(_uncaptured_cell(cid, name, column, str(row), labels))
    for document in documents:
        _document_tables(document, tables)
    tables["matrix_axes"] = [
        {"matrix": a.matrix, "axis": a.axis, "code": a.code, "label": a.label, "description": a.description}
        for a in axes
    ]
    _normalise_issuers(tables["entries"], tables["citations"])
    _link_works_and_documents(tables["entries"], tables["documents"], cells)
    tables["works"] = work_rows(tables["entries"], tables["cells"])
    _tie_citations(tables["citations"], tables["entries"])
    _tie_links(tables["links"], tables["citations"])
    return tables | history_tables(history, per_cell)


def _uncaptured_cell(cid: str, name: str, column: str, row: str, labels: dict) -> dict:
    return {
        "cell_id": cid,
        "matrix": name,
        "column_code": column,
        "row_code": row,
        "captured": False,
        "url": urls.cell_url(cid),
        "column_label": labels.get((name, "column", column), matrix.COLUMNS[column]),
        "row_label": labels.get((name, "row", row), matrix.ROWS[name][int(row)]),
        "description": None,
        "last_revised": None,
        "first_uploaded": None,
        "more": None,
        "entry_count": 0,
        "truncated": False,
        "identified_by": None,
        "sources": [],
    }


def _cell_tables(cell: Cell, tables: dict[str, list[dict]], labels: dict) -> None:
    page = cell.page
    cid = page.cell_id
    url = urls.cell_url(cid)
    printed = page.labels_printed
    tables["cells"].append(
        {
            "cell_id": cid,
            "matrix": page.matrix,
            "column_code": page.column_code,
            "row_code": str(page.row_code),
            "captured": True,
            "url": url,
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
        tables["entries"].append(_entry_row(cid, entry_id, entry, url, seen[str(key)]))
        tables["citations"] += _entry_citations(cid, entry_id, entry)
        tables["links"] += link_rows(Place(cid, entry_id, "entry"), entry.body, url, title_end=len(entry.title))
    for section, rich in (("description", page.description), ("more", page.more)):
        if rich:
            tables["citations"] += _citations(Place(cid, None, section), rich, 0)
            tables["links"] += link_rows(Place(cid, None, section), rich, url)
    for n, paragraph in enumerate(page.bite, start=1):
        row = _section_row(cid, None, n, paragraph)
        tables["sections"].append(row)
        place = Place(cid, None, "bite", n, row["section_id"])
        tables["citations"] += _citations(place, paragraph.body, 0)
        tables["links"] += link_rows(place, paragraph.body, url)


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
    base = canonical(document.url, urls.ROOT + "/").url or urls.ROOT + "/"
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
                "href": None,
                "citation_id": f"{did}-{stable_id('related', n, item.title)}",
                "cell_id": None,
                "document_id": did,
                "entry_id": None,
                "role": "related",
                "section": "related",
                "section_id": None,
                "position": n,
                "text": item.title,
                "listed_kind": item.kind,
                "anchor_text": None,
                "year": item.year,
                "issuer": None,
                "issuer_printed": None,
                "document_kind": None,
                "jurisdiction": None,
                "note": None,
            }
        )
        address = canonical(item.href, base)
        kind = "cell" if item.target_cell_id else ("document" if address.kind == "placeholder" else address.kind)
        tables["links"].append(
            {
                "link_id": f"{did}-{stable_id('related', n, item.title)}",
                "cell_id": None,
                "document_id": did,
                "entry_id": None,
                "section": "related",
                "section_id": None,
                "position": n,
                "anchor_text": item.title,
                "href": address.url,
                "kind": kind,
                "placeholder": bool(item.href) and address.kind == "placeholder",
                "origin": "link" if item.href else "text",
                "target_cell_id": item.target_cell_id,
                "target_entry_id": None,
            }
        )


def _normalise_issuers(entries: list[dict], citations: list[dict]) -> None:
    rows = entries + citations
    names = canonical_names([r["issuer_printed"] for r in rows])
    for r in rows:
        issuer = names.get(r["issuer_printed"], Issuer(None, None))
        r["issuer"], r["document_kind"] = issuer.name, issuer.document_kind


def _link_works_and_documents(entries: list[dict], documents: list[dict], cells: list[Cell]) -> None:
    keys = [
        WorkKey(
            e["entry_id"],
            e["cell_id"],
            e["title"],
            tuple(e["years"]),
            e["issuer"],
            e["annotation"],
            e["href"],
            e.pop("occurrence"),
        )
        for e in entries
    ]
    works = assign_works(keys)
    for e in entries:
        e["work_id"], e["work_method"], e["work_score"] = works[e["entry_id"]]
        e["document_id"], e["document_method"] = resolve_document(e, documents)


def _tie_links(links: list[dict], citations: list[dict]) -> None:
    """A citation's link leads to the entry the citation was tied to (its address may be lost)."""
    cited = {at: c["cited_entry_id"] for c in citations if (at := c.pop("anchor_at", None)) and c["cited_entry_id"]}
    for row in links:
        entry = cited.get(row.pop("at", None))
        if entry and row["target_entry_id"] is None:
            row["target_entry_id"] = entry
            if row["kind"] == "placeholder":
                row["kind"] = "document"


def _tie_citations(citations: list[dict], entries: list[dict]) -> None:
    """A secondary citation cites the entry of its cell whose href its link shares, else the one other
    entry of its cell with its year and the issuer it names. A year alone is not enough: on the seeds
    every bare-year tie pointed at the wrong entry (the work cited is often not listed in the cell)."""
    by_id = {e["entry_id"]: e for e in entries}
    by_cell: dict[str, list[dict]] = {}
    for e in entries:
        by_cell.setdefault(e["cell_id"], []).append(e)
    for c in citations:
        target: dict | None
        method: str | None
        if c["role"] == "primary":
            target, method = by_id[c["entry_id"]], "own entry"
        elif c["role"] == "secondary" and c["cell_id"]:
            others = [e for e in by_cell.get(c["cell_id"], []) if e["entry_id"] != c["entry_id"]]
            linked = [e for e in others if c["href"] and e["href"] == c["href"]]
            issued = [e for e in others if c["issuer"] and e["issuer"] == c["issuer"] and c["year"] in e["years"]]
            target, method = (
                (linked[0], "link")
                if len(linked) == 1
                else (issued[0], "issuer+year")
                if len(issued) == 1
                else (None, None)
            )
        else:
            target, method = None, None
        c.pop("href")
        c["cited_entry_id"] = target["entry_id"] if target else None
        c["cited_work_id"] = target["work_id"] if target else None
        c["cited_by"] = method


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _entry_row(cid: str, entry_id: str, e: Entry, page_url: str, occurrence: int) -> dict:
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
        "issuer_printed": ref.issuer if ref else None,
        "jurisdiction": ref.jurisdiction if ref else None,
        "note": ref.note if ref else None,
        "reference": ref.text if ref else None,
        "annotation": e.annotation,
        "href": canonical(e.title_href, page_url).url if e.title_href else None,
        "cut_off": e.cut_off,
        "source_capture": e.capture,
        "source_line": e.line,
        "occurrence": occurrence,
    }


def _entry_citations(cid: str, entry_id: str, e: Entry) -> list[dict]:
    rows = []
    if e.reference:
        ref = e.reference
        rows.append(
            {
                "href": None,
                "citation_id": f"{cid}-{stable_id(entry_id, 'primary')}",
                "cell_id": cid,
                "document_id": None,
                "entry_id": entry_id,
                "listed_kind": None,
                "role": "primary",
                "section": "entry",
                "section_id": None,
                "position": 1,
                "text": f"{e.title} ({ref.text})",
                "anchor_text": None,
                "year": ref.year,
                "issuer_printed": ref.issuer,
                "jurisdiction": ref.jurisdiction,
                "note": ref.note,
            }
        )
    start = e.reference.end if e.reference else 0
    return rows + _citations(Place(cid, entry_id, "entry"), e.body, start, first=len(rows) + 1)


CITED_LINK_GAP = 2  # characters between a link's end and the reference it is the anchor of: "review (2006)"


def _citations(place: Place, rich: Rich, start: int, first: int = 1) -> list[dict]:
    """The references structure read in `rich` from offset `start` on (past an entry's own), as citations."""
    rows = []
    for n, ref in enumerate((r for r in rich.references if r.start >= start), start=first):
        link = next(
            (s for s in rich.spans if s.kind == "link" and 0 <= ref.start - s.end <= CITED_LINK_GAP),
            None,
        )
        rows.append(
            {
                "citation_id": place.key(n, ref.text),
                **place.columns(),
                "listed_kind": None,
                "role": "secondary",
                "position": n,
                "text": ref.text,
                "anchor_text": rich.text[link.start : link.end] if link else None,
                "href": canonical(link.href, urls.cell_url(place.cell_id)).url if link else None,
                "anchor_at": place.at(link.start) if link else None,
                "year": ref.year,
                "issuer_printed": ref.issuer,
                "jurisdiction": ref.jurisdiction,
                "note": ref.note,
            }
        )
    return rows
