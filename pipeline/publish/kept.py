"""What publish keeps between runs (interim/publish/history.json): each cell's history tables, under
the hash of everything they are made from (the publish code, the cell's revisions after each refresh,
the refresh of each of its captures). A new capture changes the history of its own cell, so a run
rebuilds that cell's tables and takes the other 49 from here, as merge keeps each group's fold.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import pyarrow as pa

from pipeline.merge.revisions import CellHistory
from pipeline.publish.history import HISTORY_TABLES, CellTables, cell_tables
from pipeline.publish.schemas import TABLES
from pipeline.runtime import incremental
from pipeline.runtime.atomic import write_bytes_atomic

FILE = "history.json"
# JSON holds a date as its ISO text: these columns are made dates again when a kept cell is read
DATES = {name: tuple(f.name for f in TABLES[name] if pa.types.is_date(f.type)) for name in HISTORY_TABLES}


class _Kept(msgspec.Struct):
    key: str
    made: CellTables


class KeptHistory:
    """A `history.PerCell` that reuses a cell's tables from the last run while its key is the same, and
    keeps this run's tables of every cell for the next (`save`)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE
        try:
            self.earlier = msgspec.json.decode(self.path.read_bytes(), type=dict[str, _Kept])
        except (OSError, ValueError):  # none yet, or damaged: every cell is built again
            self.earlier = {}
        self.kept = {cell: kept.key for cell, kept in self.earlier.items()}  # what the file holds
        self.now: dict[str, _Kept] = {}

    def __call__(self, cell: CellHistory, refresh_of: dict[str, int]) -> CellTables:
        captures = sorted({c for state in cell.states for r in state.revisions for c in r.captures})
        key = incremental.key("publish", FILE, cell, [refresh_of[c] for c in captures])
        if (done := self.now.get(cell.cell_id)) is not None and done.key == key:  # asked again in this run
            return done.made
        earlier = self.earlier.pop(cell.cell_id, None)
        made = _dated(earlier.made) if earlier is not None and earlier.key == key else cell_tables(cell, refresh_of)
        self.now[cell.cell_id] = _Kept(key, made)
        return made

    def save(self) -> None:
        """This run's cells, when any differs from what is kept (a cell gone is dropped)."""
        if {cell: done.key for cell, done in self.now.items()} != self.kept:
            write_bytes_atomic(self.path, msgspec.json.encode(self.now))


def _dated(made: CellTables) -> CellTables:
    for name, rows in made.tables.items():
        for row in rows:
            for column in DATES[name]:
                if row[column] is not None:
                    row[column] = date.fromisoformat(row[column])
    return made
