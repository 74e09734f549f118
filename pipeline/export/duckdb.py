"""processed/findings.duckdb: the published tables in one DuckDB file, with primary and foreign keys,
each column's description as its comment, and views for the usual joins.

Built from the Parquet files (so it holds exactly what they hold) into a temporary file, then renamed
over the old one. Run `python -m pipeline.export.duckdb --processed processed`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from pipeline.export import arguments
from pipeline.publish.datapackage import foreign_keys
from pipeline.publish.schemas import KEYS, TABLES
from pipeline.publish.write import read_published

FILE = "findings.duckdb"
# Referenced tables first, so each foreign key can be declared; works.title_from → entries is the one
# reference this order cannot declare (entries refer to works), and is left to the data package's check.
ORDER = ("documents", "cells", "captures", "matrix_axes", "works", "entries", "sections", "citations", "links")
VIEWS = {
    "entries_in_cells": (
        "Each entry with its cell's matrix, codes and labels, in the cell's order.",
        "SELECT c.matrix, c.column_code, c.column_label, c.row_code, c.row_label, e.* "
        "FROM entries e JOIN cells c USING (cell_id) ORDER BY e.cell_id, e.position",
    ),
    "works_in_both_matrices": (
        "Works listed by cells of both the alcohol and the drug matrix.",
        "SELECT * FROM works WHERE len(matrices) = 2 ORDER BY title",
    ),
    "cross_references": (
        "Cell → other cell, with how many links and plain-text mentions make the reference.",
        "SELECT cell_id, target_cell_id, count(*) AS n FROM links "
        "WHERE cell_id IS NOT NULL AND target_cell_id IS NOT NULL AND cell_id <> target_cell_id "
        "GROUP BY ALL ORDER BY ALL",
    ),
}
_TYPES = {
    pa.string(): "VARCHAR",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.float32(): "REAL",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
}


def _type(t: pa.DataType) -> str:
    return f"{_type(t.value_type)}[]" if pa.types.is_list(t) else _TYPES[t]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ddl(name: str, declared: set[str]) -> list[str]:
    """CREATE TABLE with its keys, then a COMMENT per column."""
    schema = TABLES[name]
    declared_key = KEYS[name]
    key = (declared_key,) if isinstance(declared_key, str) else tuple(declared_key)
    lines = [f'"{f.name}" {_type(f.type)}{"" if f.nullable else " NOT NULL"}' for f in schema]
    lines.append(f"PRIMARY KEY ({', '.join(key)})")
    for fk in foreign_keys(name):
        target = fk["reference"]["resource"]
        if target in declared or target == name:
            lines.append(f"FOREIGN KEY ({fk['fields'][0]}) REFERENCES {target} ({fk['reference']['fields'][0]})")
    statements = [f"CREATE TABLE {name} (\n  " + ",\n  ".join(lines) + "\n)"]
    statements += [
        f'COMMENT ON COLUMN {name}."{f.name}" IS {_quote(f.metadata[b"description"].decode())}' for f in schema
    ]
    return statements


def build(processed: Path) -> Path:
    import duckdb

    target = processed / FILE
    staging = processed / f".{FILE}.tmp"
    staging.unlink(missing_ok=True)
    con = duckdb.connect(str(staging))
    try:
        declared: set[str] = set()
        for name in ORDER:
            for statement in ddl(name, declared):
                con.execute(statement)
            table = read_published(processed / f"{name}.parquet")
            con.register("incoming", table)
            con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
            con.unregister("incoming")
            declared.add(name)
        for view, (comment, query) in VIEWS.items():
            con.execute(f"CREATE VIEW {view} AS {query}")
            con.execute(f"COMMENT ON VIEW {view} IS {_quote(comment)}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(staging, target)
    return target


def main(argv: list[str] | None = None) -> int:
    return arguments.build_one("pipeline.export.duckdb", __doc__, build, argv)


if __name__ == "__main__":
    raise SystemExit(main())
