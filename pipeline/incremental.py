"""Incremental rebuilds by content hash: each per-capture stage keeps, in `.index.json` beside its
outputs, the key each output was made from (hash of the input + the pipeline's own code + options)
and the hash of what it wrote, which is the next stage's input key. A rerun redoes only the captures
whose key changed, without reading any unchanged file but the raw captures themselves.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from pipeline.publish import write_text_atomic

INDEX = ".index.json"  # capture files are named by safe_name, which never starts with a dot


@lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """Any change to the pipeline's code changes every key, so nothing stale survives an upgrade."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([code_fingerprint(), *parts]).encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def load(folder: Path) -> dict[str, dict]:
    """unit → {"key", "outputs": {capture: sha256}}; empty when there is no usable index."""
    try:
        units = json.loads((folder / INDEX).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return units if isinstance(units, dict) else {}


def save(folder: Path, units: dict[str, dict]) -> None:
    write_text_atomic(folder / INDEX, json.dumps(units, indent=0, sort_keys=True))


def outputs(folder: Path) -> dict[str, str]:
    """Every capture a stage holds, with the hash of its file: the next stage's inputs."""
    if not (folder / INDEX).exists():
        raise FileNotFoundError(2, "no such file", str(folder / INDEX))
    return {name: digest for unit in load(folder).values() for name, digest in unit["outputs"].items()}
