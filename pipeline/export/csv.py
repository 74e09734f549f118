"""processed/csv/<table>.csv: the published tables as CSV for spreadsheets, one file per table.

A list column's items are joined with the data dictionary's separator (`schemas.CSV_LIST_SEPARATOR`),
dates are ISO `YYYY-MM-DD`, nulls are empty fields. Deterministic: the same tables give the same bytes.
Run `python -m pipeline.export.csv --processed processed`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline.export import arguments
from pipeline.publish.schemas import CSV_LIST_SEPARATOR, TABLES
from pipeline.publish.write import read_published
from pipeline.runtime.atomic import write_text_atomic


def flat(table: pa.Table) -> pa.Table:
    """The table with each list column joined into one string column."""
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type):
            items = pc.cast(table.column(i), pa.list_(pa.string()))
            table = table.set_column(i, field.name, pc.binary_join(items, CSV_LIST_SEPARATOR))
    return table


def export(processed: Path) -> list[Path]:
    folder = processed / "csv"
    folder.mkdir(exist_ok=True)
    written = []
    for name in TABLES:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(flat(read_published(processed / f"{name}.parquet")), sink)
        path = folder / f"{name}.csv"
        write_text_atomic(path, sink.getvalue().to_pybytes().decode("utf-8"))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = arguments.parser("pipeline.export.csv", __doc__)
    args = parser.parse_args(argv)
    for path in export(args.processed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
