"""The published tables' contract: explicit pyarrow schemas, each column described once.

The data dictionary (docs/data-dictionary.md) is generated from these, so it cannot drift.
"""
from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"
METADATA_KEY = b"findings_pipeline.schema_version"


def _f(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


_str = pa.string()
_strings = pa.list_(pa.string())

CELLS = pa.schema([
    _f("cell_id", _str, "Cell key: matrix and code, e.g. `alcohol-E4`, `drug-E3`.", False),
    _f("matrix", _str, "`alcohol` or `drug`.", False),
    _f("column_code", _str, "Column A–E (the level: A Interventions … E Treatment systems).", False),
    _f("row_code", pa.int8(), "Row 1–5 (the intervention type).", False),
    _f("column_label", _str, "Column label as the page prints it (the site's axis label when the page omits it)."),
    _f("row_label", _str, "Row label as the page prints it (the site's axis label when the page omits it)."),
    _f("description", _str, "The cell's one-paragraph description under its labels; null on layouts without one."),
    _f("last_revised", pa.date32(), "\"Last revised\" date; null when no capture shows it."),
    _f("first_uploaded", pa.date32(), "\"First uploaded\" date; null when no capture shows it."),
    _f("more", _str, "The \"more\" search line after the entries, without its \"more\" label."),
    _f("entry_count", pa.int16(), "Number of entries published for the cell.", False),
    _f("truncated", pa.bool_(), "True when every capture of the cell was cut off before the \"more\" line.", False),
    _f("identified_by", _str, "How the cell was known: `title`, `heading`, `url` (manifest) or `labels`.", False),
    _f("sources", _strings, "Capture files merged into this cell, sorted.", False),
])

ENTRIES = pa.schema([
    _f("entry_id", _str, "Entry key, stable across runs: cell id plus a hash of the title, year and occurrence.", False),
    _f("cell_id", _str, "The cell listing the entry (→ cells.cell_id).", False),
    _f("position", pa.int16(), "1-based order of the entry in the cell.", False),
    _f("types", _strings, "Tag letters in printed order: S seminal study, K key study, R review, G guidance.", False),
    _f("types_inferred", pa.bool_(), "True when the capture lost the tag letter and `types` was inferred from the "
                                     "neighbouring entries.", False),
    _f("title", _str, "Title exactly as printed (without tag letters and reference).", False),
    _f("year", pa.int16(), "First year of the reference, e.g. 1997 for `(1997 and 2000)`; null if none."),
    _f("years", pa.list_(pa.int16()), "Every year in the reference.", False),
    _f("issuer", _str, "Issuing body before the year, e.g. `Home Office` in `([UK] Home Office, 1999)`; null if none."),
    _f("jurisdiction", _str, "Bracketed prefix of the issuer, e.g. `UK`, `US`; null if none."),
    _f("note", _str, "Text after `;` in the reference, e.g. `free source at time of writing`."),
    _f("reference", _str, "The reference as printed inside its parentheses."),
    _f("annotation", _str, "The annotation after the reference, rejoined across page and sidebar breaks."),
    _f("href", _str, "Link of the entry's title when the capture kept it; null otherwise."),
    _f("cut_off", pa.bool_(), "True for an entry the capture ended inside (kept as far as it goes).", False),
    _f("source_capture", _str, "Capture the entry's text was taken from.", False),
    _f("source_line", pa.int32(), "Line of that capture where the entry starts."),
])

CITATIONS = pa.schema([
    _f("citation_id", _str, "Citation key, stable across runs.", False),
    _f("cell_id", _str, "Cell the citation appears in (→ cells.cell_id).", False),
    _f("entry_id", _str, "Entry it belongs to (→ entries.entry_id); null for citations in the description, "
                         "\"more\" line or bite."),
    _f("role", _str, "`primary` for an entry's own reference, `secondary` for a reference inside text.", False),
    _f("section", _str, "Where it appears: `entry`, `description`, `more` or `bite`.", False),
    _f("position", pa.int16(), "1-based order of the citation within its entry or paragraph.", False),
    _f("text", _str, "Primary: `Title (reference)`; secondary: the reference as printed inside its parentheses.",
       False),
    _f("anchor_text", _str, "For a secondary citation, the link text just before it, when the capture kept links."),
    _f("year", pa.int16(), "First year of the reference."),
    _f("issuer", _str, "Issuing body, when the reference names one."),
    _f("jurisdiction", _str, "Bracketed prefix of the issuer, e.g. `UK`."),
    _f("note", _str, "Text after `;` in the reference."),
])

LINKS = pa.schema([
    _f("link_id", _str, "Link key, stable across runs.", False),
    _f("cell_id", _str, "Cell the link appears in (→ cells.cell_id).", False),
    _f("entry_id", _str, "Entry it appears in (→ entries.entry_id); null outside entries."),
    _f("section", _str, "`entry`, `description`, `more` or `bite`.", False),
    _f("position", pa.int16(), "1-based order of the link within its entry or paragraph.", False),
    _f("anchor_text", _str, "The linked text (for a mention of a cell in plain text, the mention).", False),
    _f("href", _str, "Target address; null where the capture lost it (e.g. Markdown `(#)` placeholders)."),
    _f("kind", _str, "`document`, `cell`, `in-page`, `external`, `email` or `placeholder` (address lost).", False),
    _f("origin", _str, "`link` for a hyperlink in the capture, `text` for a cell named in plain text.", False),
    _f("target_cell_id", _str, "The cell the link or mention points to (one of the 50 matrix cells), else null."),
])

TABLES: dict[str, pa.Schema] = {"cells": CELLS, "entries": ENTRIES, "citations": CITATIONS, "links": LINKS}
KEYS = {"cells": "cell_id", "entries": "entry_id", "citations": "citation_id", "links": "link_id"}
SORT = {"cells": ["cell_id"], "entries": ["cell_id", "position"], "citations": ["cell_id", "citation_id"],
        "links": ["cell_id", "link_id"]}


def with_version(schema: pa.Schema) -> pa.Schema:
    return schema.with_metadata({METADATA_KEY: SCHEMA_VERSION.encode()})


def data_dictionary() -> str:
    lines = ["# Data dictionary", "",
             "Generated from `pipeline/schemas.py` (`make docs`); a test fails if this file falls out of date.",
             f"Schema version {SCHEMA_VERSION} (in each Parquet file's metadata under "
             f"`{METADATA_KEY.decode()}`).", ""]
    for name, schema in TABLES.items():
        lines += [f"## {name}.parquet", "", f"Key: `{KEYS[name]}`.", "", "| column | type | nullable | meaning |",
                  "|---|---|---|---|"]
        for field in schema:
            meaning = field.metadata[b"description"].decode()
            lines.append(f"| `{field.name}` | {field.type} | {'yes' if field.nullable else 'no'} | {meaning} |")
        lines.append("")
    return "\n".join(lines)
