"""Browse the tables in Datasette: builds the SQLite file when the Parquet tables are newer, then serves
it with the data dictionary as metadata (`make serve`; needs the `serve` extra).

    python -m pipeline.export.serve --processed processed --port 8001
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline.export import arguments, sqlite
from pipeline.publish.schemas import TABLES

DEFAULT_PORT = 8001


def command(processed: Path, host: str, port: int) -> list[str]:
    """The datasette command line that serves the SQLite build read-only (immutable: no locking, no writes)."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        "--immutable",
        str(processed / sqlite.FILE),
        "--metadata",
        str(processed / sqlite.METADATA),
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "default_page_size",
        "50",
    ]


def stale(processed: Path) -> bool:
    built = processed / sqlite.FILE
    if not built.exists() or not (processed / sqlite.METADATA).exists():
        return True
    return any((processed / f"{n}.parquet").stat().st_mtime_ns > built.stat().st_mtime_ns for n in TABLES)


def main(argv: list[str] | None = None) -> int:
    parser = arguments.parser("pipeline.export.serve", __doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    if stale(args.processed):
        sqlite.build(args.processed)
    argv_ = command(args.processed, args.host, args.port)
    os.execv(argv_[0], argv_)
    return 0  # not reached: datasette replaces this process


if __name__ == "__main__":
    raise SystemExit(main())
