"""Merge's gathering of structure's index, kept between runs: a run after a few new captures replays
only the journal lines structure appended since, and patches the last captures.json, instead of
decoding every capture's facts again (at 10,000 captures that was most of merge's own cost).

It is taken on trust only when everything it was made from is as it was: merge's code, structure's
index file (its sha256), the journal up to where it was read (its sha256), and the captures.json
written with it (its sha256). Anything else (a folded index, an edited or truncated file, new merge
code) gathers the whole index again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

import msgspec

from pipeline.merge.facts import Gathering, Indexed, gather
from pipeline.runtime import incremental
from pipeline.runtime.atomic import write_bytes_atomic

KEPT = ".gathered.msgpack"


class Kept(msgspec.Struct):
    code: str  # merge's code fingerprint
    index: str  # sha256 of structure's index file
    journal: int  # how many bytes of structure's journal it holds
    journal_sha: str  # their sha256
    captures: str  # sha256 of the captures.json written with it
    gathering: Gathering


def gathered(source: Path, index_sha: str, journal: bytes, folder: Path, described: BinaryIO) -> Gathering:
    """Structure's index (in `source`: its index file's sha256 and its journal's bytes) as merge
    gathers it, each capture's report record written to `described` (captures.json's bytes); from
    the kept gathering of the last run when it can be trusted."""
    kept = _trusted(folder, index_sha, journal)
    records = _records(folder / "captures.json", kept.captures, len(kept.gathering.captured)) if kept else None
    if kept is None or records is None:
        return gather(incremental.each_unit(source, Indexed), described)
    gathering = kept.gathering
    before = dict(zip(sorted(gathering.captured), records, strict=True))
    shared: dict[object, object] = {}
    fresh: dict[str, bytes] = {}
    for unit, entry in incremental.journal_units(journal[kept.journal :], Indexed).items():
        if entry is None:
            gathering.drop(unit)
            continue
        gathering.add(unit, entry, shared)
        fresh.update((name, bytes(held.described)) for name, held in entry.facts.items())
    records = [fresh[name] if name in fresh else before[name] for name in sorted(gathering.captured)]
    described.write(b"[\n" + b",\n".join(records) + b"\n]\n")
    return gathering


def keep(folder: Path, gathering: Gathering, index_sha: str, journal: bytes, captures_sha: str) -> None:
    """The gathering of structure's index and journal, for the next run, once captures.json (sha256
    `captures_sha`) is in place."""
    kept = Kept(
        incremental.stage_fingerprint("merge"),
        index_sha,
        len(journal),
        hashlib.sha256(journal).hexdigest(),
        captures_sha,
        gathering,
    )
    write_bytes_atomic(folder / KEPT, msgspec.msgpack.encode(kept, order="deterministic"))


def _trusted(folder: Path, index_sha: str, journal: bytes) -> Kept | None:
    try:
        kept = msgspec.msgpack.decode((folder / KEPT).read_bytes(), type=Kept)
    except (OSError, ValueError):
        return None
    if (
        kept.code != incremental.stage_fingerprint("merge")
        or kept.index != index_sha
        or len(journal) < kept.journal
        or hashlib.sha256(journal[: kept.journal]).hexdigest() != kept.journal_sha
    ):
        return None
    return kept


def _records(path: Path, sha256: str, count: int) -> list[bytes] | None:
    """captures.json's records (one a line, in capture-name order), if it is the file written with the
    kept gathering (`sha256`) and holds `count` of them."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != sha256 or not (data.startswith(b"[\n") and data.endswith(b"\n]\n")):
        return None
    body = data[2:-3]
    records = body.split(b",\n") if body else []
    return records if len(records) == count else None
