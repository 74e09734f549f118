"""The published tables' contract: explicit pyarrow schemas, each column described once.

The data dictionary (docs/data-dictionary.md) is generated from these, so it cannot drift.
"""

from __future__ import annotations

import json
from typing import get_args

import pyarrow as pa

from pipeline.merge.revisions import REFRESH_GAP
from pipeline.model import Format

SCHEMA_VERSION = "2"
METADATA_KEY = b"findings_pipeline.schema_version"


ENUM_KEY = b"enum"
CSV_LIST_SEPARATOR = " | "  # how `make csv` joins a list column's items into one CSV field


def _f(name: str, type_: pa.DataType, description: str, nullable: bool = True, enum: tuple[str, ...] = ()) -> pa.Field:
    """A described column; `enum` lists every value it may hold (checked on publish, stated in the data package)."""
    metadata = {b"description": description.encode()}
    if enum:
        metadata[ENUM_KEY] = json.dumps(list(enum)).encode()
    return pa.field(name, type_, nullable=nullable, metadata=metadata)


def allowed(field: pa.Field) -> list[str] | None:
    """The values a column may hold, when it has a fixed set."""
    found = (field.metadata or {}).get(ENUM_KEY)
    return json.loads(found) if found else None


MATRICES = ("alcohol", "drug")
COLUMN_CODES = ("A", "B", "C", "D", "E")
ROW_CODES = ("1", "2", "3", "4", "5")
WORK_METHODS = ("href", "title", "title+annotation", "issuer+annotation", "unique")
TAGS = ("S", "K", "R", "G")
LINK_KINDS = ("document", "cell", "in-page", "external", "email", "placeholder", "unsupported")
SECTIONS_OF = ("entry", "description", "more", "bite", "related")
FORMATS = tuple(value for kinds in get_args(Format) for value in get_args(kinds))  # a union of Literals
CAPTURE_STATUSES = ("published", "superseded", "identical", "quarantined")


_str = pa.string()
_strings = pa.list_(pa.string())

CELLS = pa.schema(
    [
        _f("cell_id", _str, "Cell key: matrix and code, e.g. `alcohol-E4`, `drug-E3`.", False),
        _f("matrix", _str, "`alcohol` or `drug`.", False, MATRICES),
        _f(
            "column_code",
            _str,
            "Column A–E (the level: A Interventions … E Treatment systems); joins `matrix_axes.code`.",
            False,
            COLUMN_CODES,
        ),
        _f("row_code", _str, "Row `1`–`5` (the intervention type); joins `matrix_axes.code`.", False, ROW_CODES),
        _f(
            "captured",
            pa.bool_(),
            "True when a capture of the cell was published; the other cells of the 50 have labels and URL only.",
            False,
        ),
        _f("url", _str, "The cell page's canonical address (`…/PHP/dl.php?file=Matrix/Alcohol/A4.htm`).", False),
        _f(
            "column_label",
            _str,
            "Column label as the page prints it (the axis label from `matrix_axes` when the page omits it "
            "or the cell was not captured).",
            False,
        ),
        _f(
            "row_label",
            _str,
            "Row label as the page prints it (the axis label from `matrix_axes` when the page omits it "
            "or the cell was not captured).",
            False,
        ),
        _f("description", _str, "The cell's one-paragraph description under its labels; null on layouts without one."),
        _f("last_revised", pa.date32(), '"Last revised" date; null when no capture shows it.'),
        _f("first_uploaded", pa.date32(), '"First uploaded" date; null when no capture shows it.'),
        _f("more", _str, 'The "more" search line after the entries, without its "more" label.'),
        _f("entry_count", pa.int16(), "Number of entries published for the cell (0 when not captured).", False),
        _f("truncated", pa.bool_(), 'True when every capture of the cell was cut off before the "more" line.', False),
        _f(
            "identified_by",
            _str,
            "How the cell was known: `title`, `heading`, `url` (manifest) or `labels`; null when not captured.",
            enum=("title", "heading", "url", "labels"),
        ),
        _f("sources", _strings, "Capture files merged into this cell, sorted (→ captures.file).", False),
    ]
)

ENTRIES = pa.schema(
    [
        _f(
            "entry_id",
            _str,
            "Entry key, stable across runs: cell id plus a hash of the title, year and occurrence.",
            False,
        ),
        _f("cell_id", _str, "The cell listing the entry (→ cells.cell_id).", False),
        _f("position", pa.int16(), "1-based order of the entry in the cell.", False),
        _f(
            "types",
            _strings,
            "Tag letters in printed order: S seminal study, K key study, R review, G guidance.",
            False,
            TAGS,
        ),
        _f(
            "types_inferred",
            pa.bool_(),
            "True when the capture lost the tag letter and `types` was inferred from the neighbouring entries.",
            False,
        ),
        _f("title", _str, "Title exactly as printed (without tag letters and reference).", False),
        _f("year", pa.int16(), "First year of the reference, e.g. 1997 for `(1997 and 2000)`; null if none."),
        _f("years", pa.list_(pa.int16()), "Every year in the reference.", False),
        _f(
            "issuer",
            _str,
            "Issuing body, one name per body: e.g. `Home Office` in `([UK] Home Office, 1999)`, "
            "`Scottish Advisory Committee on Drug Misuse` for `Report produced for the …`; null if none.",
        ),
        _f("issuer_printed", _str, "The issuer as the reference prints it (a document kind included); null if none."),
        _f(
            "document_kind",
            _str,
            "A kind of document the reference names in the issuer's place, e.g. `Cochrane review`; null if none.",
        ),
        _f("jurisdiction", _str, "Bracketed prefix of the issuer, e.g. `UK`, `US`; null if none."),
        _f("note", _str, "Text after `;` in the reference, e.g. `free source at time of writing`."),
        _f("reference", _str, "The reference as printed inside its parentheses."),
        _f("annotation", _str, "The annotation after the reference, rejoined across page and sidebar breaks."),
        _f("href", _str, "Canonical address of the entry's title link when the capture kept it; null otherwise."),
        _f("cut_off", pa.bool_(), "True for an entry the capture ended inside (kept as far as it goes).", False),
        _f("source_capture", _str, "Capture the entry's text was taken from (→ captures.file).", False),
        _f("source_line", pa.int32(), "Line of that capture where the entry starts."),
        _f(
            "work_id",
            _str,
            "The cited work (→ works.work_id); shared by entries in different cells that list the same work, "
            "even under different titles.",
            False,
        ),
        _f(
            "work_method",
            _str,
            "How the entry was matched to another listing of its work: `href`, `title`, "
            "`title+annotation`, `issuer+annotation`, or `unique` (listed once).",
            False,
            WORK_METHODS,
        ),
        _f("work_score", pa.float32(), "Similarity (0–100) of that strongest match; 0 for `unique`.", False),
        _f(
            "document_id",
            _str,
            "The Effectiveness Bank analysis of this work, when it is among the captures (→ documents.document_id).",
        ),
        _f(
            "document_method",
            _str,
            "How `document_id` was resolved: `href`, `title`, `issuer+title`; null if not.",
            enum=("href", "title", "issuer+title"),
        ),
    ]
)


def _listed(values: tuple[str, ...]) -> str:
    """`a`, `b` or `c`"""
    quoted = [f"`{v}`" for v in values]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _placed(noun: str, *names: str) -> list[pa.Field]:
    """The columns that say where a citation or link sits in its page (publish/links.py's `Place`), in the
    order `names` gives: written once for both tables."""
    fields = {
        "cell_id": _f("cell_id", _str, f"Cell the {noun} appears in (→ cells.cell_id); null on an analysis page."),
        "document_id": _f(
            "document_id", _str, f"Analysis page the {noun} appears in (→ documents.document_id); null in cells."
        ),
        "entry_id": _f(
            "entry_id",
            _str,
            f'Entry it appears in (→ entries.entry_id); null for {noun}s in the description, "more" line or bite.',
        ),
        "section": _f("section", _str, f"Where it appears: {_listed(SECTIONS_OF)}.", False, SECTIONS_OF),
        "section_id": _f(
            "section_id", _str, "The bite paragraph it appears in (→ sections.section_id); null outside the bite."
        ),
        "position": _f("position", pa.int16(), f"1-based order of the {noun} within its entry or paragraph.", False),
    }
    return [fields[name] for name in names]


CITATIONS = pa.schema(
    [
        _f("citation_id", _str, "Citation key, stable across runs.", False),
        *_placed("citation", "cell_id", "document_id", "entry_id"),
        _f(
            "role",
            _str,
            "`primary` for an entry's own reference, `secondary` for a reference inside text, "
            '`related` for an item of an analysis page\'s "Top 10 most closely related documents".',
            False,
            ("primary", "secondary", "related"),
        ),
        *_placed("citation", "section", "section_id", "position"),
        _f(
            "text",
            _str,
            "Primary: `Title (reference)`; secondary: the reference as printed inside its parentheses; "
            "related: the listed title.",
            False,
        ),
        _f(
            "listed_kind",
            _str,
            "For `related` citations, the kind the list gives: `study`, `review`, `document`, `matrix cell`, …",
        ),
        _f("anchor_text", _str, "For a secondary citation, the link text just before it, when the capture kept links."),
        _f("year", pa.int16(), "First year of the reference."),
        _f("issuer", _str, "Issuing body, when the reference names one (one name per body, as `entries.issuer`)."),
        _f("issuer_printed", _str, "The issuer as printed."),
        _f("document_kind", _str, "A kind of document named in the issuer's place, e.g. `Cochrane review`."),
        _f("jurisdiction", _str, "Bracketed prefix of the issuer, e.g. `UK`."),
        _f("note", _str, "Text after `;` in the reference."),
        _f(
            "cited_entry_id",
            _str,
            "The entry cited (→ entries.entry_id): a primary citation's own entry; for a secondary one the entry "
            "of the same cell its link shares an address with, else the only other entry of the cell with its "
            "year and issuer; null when the text does not make it unambiguous (a year alone does not).",
        ),
        _f("cited_work_id", _str, "The work of `cited_entry_id` (→ works.work_id)."),
        _f(
            "cited_by",
            _str,
            "How `cited_entry_id` was found: `own entry`, `link` or `issuer+year`; null when unresolved.",
            enum=("own entry", "link", "issuer+year"),
        ),
    ]
)

LINKS = pa.schema(
    [
        _f("link_id", _str, "Link key, stable across runs.", False),
        *_placed("link", "cell_id", "document_id", "entry_id", "section", "section_id", "position"),
        _f("anchor_text", _str, "The linked text (for a mention of a cell in plain text, the mention).", False),
        _f(
            "href",
            _str,
            "Canonical absolute address (where-from parameters such as `s=`/`sf=` dropped; a page of the site as "
            "`https://findings.org.uk/PHP/dl.php?file=…`); null where the capture lost it (Markdown `(#)`) or "
            "it is not a web address (`javascript:`, `data:`).",
        ),
        _f(
            "kind",
            _str,
            "What it points at: `document`, `cell`, `in-page`, `external`, `email`; `placeholder` when the address "
            "was lost and nothing else tells; `unsupported` for a non-web address.",
            False,
            LINK_KINDS,
        ),
        _f("placeholder", pa.bool_(), "True when the capture lost the link's address (`#`, empty).", False),
        _f(
            "origin",
            _str,
            "`link` for a hyperlink in the capture, `text` for a cell named in plain text.",
            False,
            ("link", "text"),
        ),
        _f("target_cell_id", _str, "The cell the link or mention points to (→ cells.cell_id), else null."),
        _f(
            "target_entry_id",
            _str,
            "The entry the link leads to, where known: an entry's own title link, or the link of a "
            "secondary citation tied to an entry (`citations.cited_entry_id`) (→ entries.entry_id); else null.",
        ),
    ]
)

DOCUMENTS = pa.schema(
    [
        _f(
            "document_id",
            _str,
            "Document key: a hash of the title and year, so every capture of one analysis page gives the same id.",
            False,
        ),
        _f("title", _str, "Title of the analysed document, as its citation prints it.", False),
        _f("authors", _str, "Authors line as printed (people, `et al.`, or organisations)."),
        _f(
            "source",
            _str,
            "Journal or publisher line as printed, e.g. `[UK] National Institute for Health and Care "
            "Excellence, 2007.`",
        ),
        _f("year", pa.int16(), "Year of the source line."),
        _f(
            "doc_kind",
            _str,
            "`study`, `review` or `document`, as the page describes itself.",
            enum=("study", "review", "document"),
        ),
        _f("summary", _str, "The lead paragraph under the citation."),
        _f("key_points", _strings, 'The "Key points" in order.', False),
        _f("commentary", _str, "The Findings commentary, paragraphs separated by a blank line."),
        _f("last_revised", pa.date32(), '"Last revised" date.'),
        _f("first_uploaded", pa.date32(), '"First uploaded" date.'),
        _f("url", _str, "Address of the page, when the manifest gives it."),
        _f("cut_off", pa.bool_(), "True when every capture ended before the page's foot (dates, related list).", False),
        _f("sources", _strings, "Capture files of this page, sorted (→ captures.file).", False),
    ]
)

SECTIONS = pa.schema(
    [
        _f("section_id", _str, "Paragraph key, stable across runs.", False),
        _f("cell_id", _str, "Cell whose bite this paragraph is in (→ cells.cell_id); null for analysis pages."),
        _f("document_id", _str, "Analysis page this paragraph is in (→ documents.document_id); null for cells."),
        _f(
            "section",
            _str,
            "Top-level section: `bite` for a cell; `Summary`, `Key points`, `Main findings`, "
            "`Commentary` for an analysis page.",
            False,
        ),
        _f(
            "heading_path",
            _strings,
            "Headings above the paragraph, outermost first (e.g. `Issues to consider and "
            "discuss`, then the issue's own heading).",
            False,
        ),
        _f("position", pa.int16(), "1-based order of the paragraph in its cell's bite or its document.", False),
        _f("text", _str, "The paragraph, cleaned and rejoined across page and sidebar breaks.", False),
        _f("supplementary", pa.bool_(), 'True for text the site folds away ("Unfold supplementary text").', False),
    ]
)

MATRIX_AXES = pa.schema(
    [
        _f("matrix", _str, "`alcohol` or `drug`.", False, MATRICES),
        _f("axis", _str, "`column` (level) or `row` (intervention type).", False, ("column", "row")),
        _f("code", _str, "`A`–`E` for columns, `1`–`5` for rows.", False, COLUMN_CODES + ROW_CODES),
        _f("label", _str, "Label as the overview or row pages give it (the site's own when none was captured).", False),
        _f("description", _str, "The overview's blurb for the column or row; null when no overview was captured."),
    ]
)

CELL_REVISIONS = pa.schema(
    [
        _f("cell_id", _str, "The cell (→ cells.cell_id).", False),
        _f("revision", pa.int16(), "1-based order of the revision among the cell's revisions, oldest first.", False),
        _f(
            "revised",
            pa.date32(),
            'The revision\'s date: its "Last revised" date, else the day of its capture (`dated_by`); null '
            "when neither is known.",
        ),
        _f(
            "dated_by",
            _str,
            '`page` (its "Last revised" line), `capture` (a capture without that line, which lists what no '
            "dated revision of its time does; dated by its capture time) or `none`.",
            False,
        ),
        _f("first_uploaded", pa.date32(), '"First uploaded" date as this revision shows it.'),
        _f("captures", _strings, "Every capture showing this revision, sorted.", False),
        _f("entry_count", pa.int16(), "Entries this revision lists (its captures folded into one list).", False),
        _f(
            "truncated",
            pa.bool_(),
            "True when every capture of the revision was cut off before the end of its entry list: works it "
            "does not list are unknown for it, not removed.",
            False,
        ),
        _f("refresh", pa.int16(), "The refresh in which a capture of it was first seen (→ runs.refresh).", False),
        _f("is_current", pa.bool_(), "True for the cell's newest revision.", False),
    ]
)

ENTRY_HISTORY = pa.schema(
    [
        _f("cell_id", _str, "The cell (→ cells.cell_id).", False),
        _f(
            "work_key",
            _str,
            "The work within this cell across its revisions (matched by address, by title and year, or as "
            "merge and `work_id` match entries); a hash of its first listing. Not `entries.work_id`.",
            False,
        ),
        _f("from_revision", pa.int16(), "First revision of the interval (cell_revisions.revision).", False),
        _f(
            "last_revision",
            pa.int16(),
            "Last revision of the interval: the one before the revision that changed or dropped the listing, "
            "or the cell's newest while current.",
            False,
        ),
        _f("valid_from", pa.date32(), "Date of `from_revision` (null when that revision has no date)."),
        _f(
            "valid_to",
            pa.date32(),
            "Date of the revision that changed or dropped the listing; null while it is current.",
        ),
        _f(
            "is_current",
            pa.bool_(),
            "True when the interval is open: the listing as the newest revision has it.",
            False,
        ),
        _f(
            "unknown_in",
            pa.list_(pa.int16()),
            "Revisions inside the interval whose every capture was cut off before this work: unknown there, "
            "not removed.",
            False,
        ),
        _f("position", pa.int16(), "Its place in the entry list of `from_revision`.", False),
        _f("types", _strings, "Tag letters as listed in the interval (S, K, R, G).", False),
        _f("title", _str, "Title as listed in the interval.", False),
        _f("year", pa.int16(), "First year of its reference."),
        _f("annotation", _str, "Annotation as listed in the interval.", False),
        _f("href", _str, "Address its title links to, when a capture kept it."),
        _f("cut_off", pa.bool_(), "True when every capture in the interval ended inside this listing.", False),
    ]
)

CHANGES = pa.schema(
    [
        _f("cell_id", _str, "The cell (→ cells.cell_id).", False),
        _f("work_key", _str, "The work (entry_history.work_key).", False),
        _f("change", _str, "`added`, `removed`, `retitled`, `retagged` or `re-annotated`.", False),
        _f(
            "from_revision",
            pa.int16(),
            "The last earlier revision that showed the work (for `added`: that showed it absent); revisions "
            "between, cut off before it, are skipped.",
            False,
        ),
        _f("to_revision", pa.int16(), "The revision that shows the change.", False),
        _f("from_date", pa.date32(), "Date of `from_revision`."),
        _f("to_date", pa.date32(), "Date of `to_revision`."),
        _f("before", _str, "The old value (title, tag letters joined by spaces, or annotation); null for `added`."),
        _f("after", _str, "The new value; null for `removed`."),
    ]
)

RUNS = pa.schema(
    [
        _f(
            "refresh",
            pa.int16(),
            "1-based order of the refresh: a batch of captures by capture time (one starts after a pause of "
            f"more than {REFRESH_GAP.total_seconds() / 3600:g} hours; captures with no capture time form the first).",
            False,
        ),
        _f("started", _str, "Capture time of its first capture (ISO 8601, UTC); null for captures with no time."),
        _f("ended", _str, "Capture time of its last capture."),
        _f("captures", _strings, "Every capture it brought, of any kind, sorted.", False),
        _f("capture_count", pa.int32(), "Number of those captures.", False),
        _f("cells_changed", pa.int16(), "Cells whose history tables it changed.", False),
    ]
    + [
        _f(
            f"{table}_{how}",
            pa.int32(),
            f"Rows of {table} {how} by this refresh, by key (the table after it against the table after the "
            "refresh before).",
            False,
        )
        for table in ("cell_revisions", "entry_history", "changes")
        for how in ("added", "changed", "removed")
    ]
)

WORKS = pa.schema(
    [
        _f("work_id", _str, "Work key: a hash of its own listings only (see README, One identity per work).", False),
        _f(
            "title",
            _str,
            "Canonical title: the wording of its listing in the most recently revised cell (ties: first cell id).",
            False,
        ),
        _f("year", pa.int16(), "Year of that listing's reference."),
        _f("issuer", _str, "Issuing body (as `entries.issuer`), from that listing or else the first that names one."),
        _f("types", _strings, "Every tag any listing gives it, in the site's order S, K, R, G.", False, TAGS),
        _f("cell_ids", _strings, "Cells listing it, sorted.", False),
        _f("matrices", _strings, "Matrices listing it, sorted: `alcohol`, `drug` or both.", False, MATRICES),
        _f("entry_count", pa.int16(), "Number of entries (listings) of the work.", False),
        _f("titles", _strings, "Every title it is listed under, sorted.", False),
        _f("document_id", _str, "Its Effectiveness Bank analysis, when captured (→ documents.document_id)."),
        _f(
            "match_methods",
            _strings,
            "How its listings were matched (`entries.work_method`), sorted.",
            False,
            WORK_METHODS,
        ),
        _f("title_from", _str, "The entry whose wording is the canonical title (→ entries.entry_id).", False),
    ]
)

CAPTURES = pa.schema(
    [
        _f("file", _str, "Capture file in raw/ (a WARC record as `file#0001`).", False),
        _f("sha256", _str, "SHA-256 of the capture's bytes.", False),
        _f("url", _str, "Address the capture came from (manifest or WARC record); null when unknown."),
        _f("captured_at", _str, "When it was captured, as the manifest or WARC record gives it; null when unknown."),
        _f(
            "format",
            _str,
            "`text`, `markdown` or `html`, told from the content; `warc` or `unknown` for a capture quarantined "
            "before a reader read it.",
            False,
            FORMATS,
        ),
        _f(
            "page_kind",
            _str,
            "`cell`, `analysis`, `overview` or `other`.",
            False,
            ("cell", "analysis", "overview", "other"),
        ),
        _f("cell_id", _str, "The cell it is a capture of (→ cells.cell_id); null otherwise."),
        _f("document_id", _str, "The analysis page it became (→ documents.document_id); null otherwise."),
        _f(
            "status",
            _str,
            "`published`; `superseded` (an older revision of its cell); `identical` (same bytes as another "
            "capture, counted once); `quarantined` (left out: see `reason`).",
            False,
            CAPTURE_STATUSES,
        ),
        _f("reason", _str, "Why it is not published (the merge note or the errors); null when published."),
        _f("entries_found", pa.int16(), "Entries read from this capture.", False),
        _f("entries_contributed", pa.int16(), "Published entries whose text was taken from this capture.", False),
        _f(
            "fields_contributed",
            _strings,
            "Fields of its merged cell taken from this capture (`description`, `last_revised`, `first_uploaded`, "
            "`more`, `bite`, `tag letters`); empty for captures of other pages.",
            False,
        ),
        _f("furniture_removed", pa.int32(), "Blocks of site furniture removed from it.", False),
        _f("warnings", _strings, "What the pipeline noticed (see README, When things go wrong).", False),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "cells": CELLS,
    "entries": ENTRIES,
    "citations": CITATIONS,
    "links": LINKS,
    "documents": DOCUMENTS,
    "sections": SECTIONS,
    "matrix_axes": MATRIX_AXES,
    "cell_revisions": CELL_REVISIONS,
    "entry_history": ENTRY_HISTORY,
    "changes": CHANGES,
    "runs": RUNS,
    "works": WORKS,
    "captures": CAPTURES,
}
KEYS = {
    "cells": "cell_id",
    "entries": "entry_id",
    "citations": "citation_id",
    "links": "link_id",
    "documents": "document_id",
    "sections": "section_id",
    "matrix_axes": ("matrix", "axis", "code"),
    "cell_revisions": ("cell_id", "revision"),
    "entry_history": ("cell_id", "work_key", "from_revision"),
    "changes": ("cell_id", "work_key", "to_revision", "change"),
    "runs": "refresh",
    "works": "work_id",
    "captures": "file",
}
SORT = {
    "cells": ["cell_id"],
    "entries": ["cell_id", "position"],
    "citations": ["citation_id"],
    "links": ["link_id"],
    "documents": ["document_id"],
    "sections": ["section_id"],
    "matrix_axes": ["matrix", "axis", "code"],
    "cell_revisions": ["cell_id", "revision"],
    "entry_history": ["cell_id", "from_revision", "position", "work_key"],
    "changes": ["cell_id", "to_revision", "work_key", "change"],
    "runs": ["refresh"],
    "works": ["work_id"],
    "captures": ["file"],
}


def with_version(schema: pa.Schema) -> pa.Schema:
    return schema.with_metadata({METADATA_KEY: SCHEMA_VERSION.encode()})


def data_dictionary() -> str:
    lines = [
        "# Data dictionary",
        "",
        "Generated from `pipeline/publish/schemas.py` (`make docs`); a test fails if this file falls out of date.",
        f"Schema version {SCHEMA_VERSION} (in each Parquet file's metadata under `{METADATA_KEY.decode()}`).",
        f"In the CSV export (`python -m pipeline.export.csv`) a list column's items are joined with "
        f"`{CSV_LIST_SEPARATOR}`, dates are `YYYY-MM-DD` and nulls are empty fields.",
        "",
    ]
    for name, schema in TABLES.items():
        key = KEYS[name] if isinstance(KEYS[name], str) else "`, `".join(KEYS[name])
        lines += [
            f"## {name}.parquet",
            "",
            f"Key: `{key}`.",
            "",
            "| column | type | nullable | meaning |",
            "|---|---|---|---|",
        ]
        for field in schema:
            meaning = field.metadata[b"description"].decode()
            lines.append(f"| `{field.name}` | {field.type} | {'yes' if field.nullable else 'no'} | {meaning} |")
        lines.append("")
    return "\n".join(lines)
