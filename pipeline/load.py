"""Published tables as data frames with their types: dates as dates, lists as lists, codes as strings.

    from pipeline.load import pandas_table, polars_table
    cells = pandas_table("cells")            # last_revised: date32[pyarrow], sources: list<string>[pyarrow]
    works = polars_table("works", "processed")  # polars.Date, polars.List(polars.String)

Both refuse a file written under another schema version (`pipeline.publish.write.read_published`).
pandas' own `read_parquet` turns dates into `object` columns and lists into numpy arrays; these do not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd

from pipeline.publish.schemas import TABLES
from pipeline.publish.write import read_published

if TYPE_CHECKING:
    import polars as pl


def _path(name: str, processed: str | Path) -> Path:
    if name not in TABLES:
        raise KeyError(f"no published table {name!r}; the tables are {', '.join(TABLES)}")
    return Path(processed) / f"{name}.parquet"


def pandas_table(name: str, processed: str | Path = "processed") -> pd.DataFrame:
    """A table as a pandas frame of Arrow-backed columns (`pd.ArrowDtype`), nulls as `<NA>`."""
    return read_published(_path(name, processed)).to_pandas(types_mapper=pd.ArrowDtype)


def polars_table(name: str, processed: str | Path = "processed") -> pl.DataFrame:
    """A table as a Polars frame (needs polars installed: `pip install -e '.[analysis]'`)."""
    import polars as pl

    return cast("pl.DataFrame", pl.from_arrow(read_published(_path(name, processed))))
