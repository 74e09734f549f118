"""The captures in a raw folder, and what raw/manifest.csv says of each."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.fetch.store import MANIFEST, read_rows

NOT_CAPTURES = {MANIFEST}


def read_manifest(raw: Path) -> dict[str, dict[str, str]]:
    return {row["file"]: row for row in read_rows(raw)}


def capture_files(raw: Path) -> list[Path]:
    with os.scandir(raw) as found:  # scandir: the file type comes with the listing, no stat per file
        return sorted(
            raw / e.name
            for e in found
            if e.is_file()
            and not e.name.startswith(".")
            and e.name not in NOT_CAPTURES
            and not e.name.lower().startswith("readme")
        )
