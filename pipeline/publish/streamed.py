"""The captures table and report.json, made in one pass over merge's captures.json a batch of
`ROWS_PER_GROUP` records at a time: each batch becomes one row group of captures.parquet and its
records of report.json, and only the run's counts outlive it (runreport.Tally), so publish holds one
batch of captures whatever the size of the corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import msgspec

from pipeline.model import write_pretty
from pipeline.publish import write
from pipeline.publish.captures import Fates
from pipeline.publish.datapackage import moment
from pipeline.publish.runreport import Described, Tally
from pipeline.publish.validate import outside_enums
from pipeline.publish.write import ValidationError, batched
from pipeline.runtime.orchestrator import UnreadableInput


def write_captures(source: Path, staging: Path, fates: Fates, tally: Tally, rows: dict[str, int]) -> datetime | None:
    """captures.parquet and report.json (whose totals count `rows` of the other tables) into `staging`;
    returns the latest capture time."""
    latest: datetime | None = None

    def records(write_rows: Callable[[list[dict]], None]) -> Iterator[list[Described]]:
        nonlocal latest
        for batch in batches(source):
            made = [fates.row(c) for c in batch]
            if problems := outside_enums({"captures": made}):
                raise ValidationError("; ".join(p.message for p in problems[:20]))
            write_rows(made)
            for c, row in zip(batch, made):
                if (when := moment(row["captured_at"])) and (latest is None or when > latest):
                    latest = when
                tally.add(c)
            yield batch
            batch.clear()  # written (report.json asks for the next batch only then): freed before it is read
            made.clear()

    with batched("captures", staging / "captures.parquet") as write_rows, (staging / "report.json").open("wb") as out:
        write_pretty(
            out,
            {
                "captures": records(write_rows),
                "quarantined": lambda: tally.quarantined,
                "totals": lambda: tally.totals(rows | {"captures": tally.count}),
            },
        )
    return latest


def batches(source: Path, size: int | None = None) -> Iterator[list[Described]]:
    """merge's captures.json (a JSON list, one record a line, in name order) `size` records at a time
    (`ROWS_PER_GROUP`). Out of order, a name twice or a line that does not decode: not merge's
    output, which is made again."""
    size = size or write.ROWS_PER_GROUP
    last = None
    try:
        with source.open("rb") as lines:
            held: list[bytes] = []
            for line in lines:
                line = line.strip().rstrip(b",")
                if line not in (b"[", b"]", b""):
                    held.append(line)
                if len(held) == size:
                    batch = _decoded(held, last)
                    last, held = batch[-1].file, []
                    yield batch
            if held:
                yield _decoded(held, last)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise UnreadableInput("merge", None) from exc


def _decoded(lines: list[bytes], last: str | None) -> list[Described]:
    batch = msgspec.json.decode(b"[" + b",".join(lines) + b"]", type=list[Described])
    names = [last, *(c.file for c in batch)] if last is not None else [c.file for c in batch]
    if any(a >= b for a, b in zip(names, names[1:])):
        raise ValueError("captures.json is not in name order")
    return batch
