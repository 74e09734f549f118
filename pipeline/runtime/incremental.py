"""Incremental rebuilds by content hash: each per-capture stage keeps, in `.index.json` beside its
outputs, the key each output was made from (hash of the input + the pipeline's own code + options)
and the hash of what it wrote, which is the next stage's input key. A rerun redoes only the captures
whose key changed, without reading any unchanged file (a raw capture is hashed again only when its
size or modification time changed).
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from pathlib import Path

import msgspec

from pipeline.runtime.atomic import write_text_atomic

INDEX = ".index.json"  # capture files are named by safe_name, which never starts with a dot
DIGESTS = ".digests.json"  # extract: size, modification time and sha256 of each raw file


@cache
def code_fingerprint() -> str:
    """Any change to the pipeline's code changes every key, so nothing stale survives an upgrade."""
    root = Path(__file__).parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key(*parts: object) -> str:
    return hashlib.sha256(msgspec.json.encode([code_fingerprint(), *parts])).hexdigest()


def file_digests(paths: list[Path], cache: Path) -> dict[Path, str]:
    """The sha256 of each file, hashing again only files whose size or modification time changed since
    `cache` was written (as git's index does): a rerun over thousands of captures reads none of them."""
    try:
        known = msgspec.json.decode(cache.read_bytes(), type=dict[str, tuple[int, int, str]])
    except (OSError, ValueError):
        known = {}
    found, digests = {}, {}
    # a file changed this recently could change again within the same clock tick unseen: its time is
    # not recorded, so it is hashed again next run
    recent = time.time_ns() - 2_000_000_000
    for path in paths:
        stat = path.stat()
        size, mtime, digest = known.get(str(path), (-1, -1, ""))
        if (size, mtime) != (stat.st_size, stat.st_mtime_ns):
            with path.open("rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
        found[str(path)] = (stat.st_size, stat.st_mtime_ns if stat.st_mtime_ns < recent else -1, digest)
        digests[path] = digest
    if found != known:
        write_text_atomic(cache, msgspec.json.encode(found, order="sorted").decode())
    return digests


def load(folder: Path) -> dict[str, dict]:
    """unit → {"key", "outputs": {capture: sha256}, …}; empty when there is no usable index."""
    try:
        return msgspec.json.decode((folder / INDEX).read_bytes(), type=dict[str, dict])
    except (OSError, ValueError):
        return {}


def save(folder: Path, units: dict[str, dict]) -> None:
    write_text_atomic(folder / INDEX, msgspec.json.encode(units, order="sorted").decode())


def outputs(index: dict[str, dict]) -> dict[str, str]:
    """Every capture a stage holds, with the hash of its record: the next stage's inputs."""
    return {name: digest for unit in index.values() for name, digest in unit["outputs"].items()}


def require(folder: Path) -> dict[str, dict]:
    """A stage's index, which the next stage cannot run without."""
    if not (folder / INDEX).exists():
        raise FileNotFoundError(2, "no such file", str(folder / INDEX))
    return load(folder)
