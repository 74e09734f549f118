"""A per-capture record on disk: its JSON (sorted keys, so the same record is the same bytes),
compressed with zstd at its fastest level, in `NAME.json.zst`.

Why compressed: the chain writes every step's record (extract, clean, structure) so that a later run
can start from any of them and a user can look at each; as plain JSON the three took five times the
captures' own size, and zstd at level 1 brings them to about 1.4 times for a small share of a run's
time (under 0.1 ms a record to pack, less to unpack: less than the writes it saves).

The frames are standard ones, written by pyarrow's zstd (already a dependency, loaded only in
processes that pack or unpack a record): `zstd -dc interim/clean/NAME.json.zst | python -m json.tool`
shows one. The sha256 the incremental index keeps is of the JSON, not of the compressed bytes: it
names the record, whatever holds it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

SUFFIX = ".json.zst"
_CODEC = "zstd"
_LEVEL = 1  # zstd's fastest: higher levels shrink these records by a few per cent for twice the time


class Damaged(ValueError):
    """A record file that does not unpack (cut short, or not one of these)."""


@cache
def _codec() -> pa.Codec:
    import pyarrow as pa

    return pa.Codec(_CODEC, _LEVEL)


def pack(record_json: bytes) -> bytes:
    return _codec().compress(record_json, asbytes=True)


def unpack(data: bytes) -> bytes:
    """The record's JSON; `Damaged` when `data` is not a whole zstd frame."""
    import pyarrow as pa

    try:
        return pa.CompressedInputStream(pa.py_buffer(data), _CODEC).read()
    except (pa.ArrowInvalid, pa.ArrowIOError) as exc:
        raise Damaged(str(exc)) from None


def read_record(path: Path) -> bytes:
    """The JSON of the record file `path`."""
    return unpack(path.read_bytes())
