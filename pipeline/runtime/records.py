"""A per-capture record on disk: its JSON (sorted keys, so the same record is the same bytes),
compressed with zstd at its fastest level, in `NAME.json.zst`.

Why compressed: the chain writes every step's record (extract, clean, structure) so that a later run
can start from any of them and a user can look at each; as plain JSON the three took five times the
captures' own size, and zstd at level 1 brings them to about 1.4 times for a small share of a run's
time (under 0.1 ms a record to pack, less to unpack: less than the writes it saves).

The frames are standard ones, written by python-zstandard (the zstd library's own bindings; it loads
in milliseconds, where pyarrow's codec cost a run that packs one record the 0.9 s of importing
pyarrow): `zstd -dc interim/clean/NAME.json.zst | python -m json.tool` shows one. Each frame states
its content size, so a frame cut short does not unpack. The sha256 the incremental index keeps is of
the JSON, not of the compressed bytes: it names the record, whatever holds it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import zstandard

SUFFIX = ".json.zst"
_LEVEL = 1  # zstd's fastest: higher levels shrink these records by a few per cent for twice the time


class Damaged(ValueError):
    """A record file that does not unpack (cut short, or not one of these)."""


@cache
def _compressor() -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=_LEVEL)  # writes each frame's content size


@cache
def _decompressor() -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor()


def pack(record_json: bytes) -> bytes:
    return _compressor().compress(record_json)


def unpack(data: bytes) -> bytes:
    """The record's JSON; `Damaged` when `data` is not a whole zstd frame stating its size."""
    try:
        return _decompressor().decompress(data)
    except zstandard.ZstdError as exc:
        raise Damaged(str(exc)) from None


def read_record(path: Path) -> bytes:
    """The JSON of the record file `path`."""
    return unpack(path.read_bytes())
