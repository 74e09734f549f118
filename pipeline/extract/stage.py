"""Extract stage, per capture: one raw file (or each HTML record of a WARC file) → a `Capture` of blocks.

A file that cannot be read becomes a Capture carrying an `extract:` error (quarantined later); the
others still go through. The readers load here, so processes running other stages never import them.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.extract.limits import MAX_BYTES, too_big
from pipeline.extract.sources import capture_files, read_manifest
from pipeline.model import Capture
from pipeline.runtime import incremental
from pipeline.runtime.context import Context
from pipeline.runtime.tasks import Task


def units(context: Context) -> dict[str, tuple[str, Task]]:
    """Every raw capture with the key its output is made from: content hash, manifest row, options."""
    max_bytes = int(context.options.get("max_bytes") or MAX_BYTES)
    folder = context.stage_folder("extract")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(context.raw)
    found = {}
    digests = incremental.file_digests(capture_files(context.raw), folder / incremental.DIGESTS)
    for path, digest in digests.items():
        row = manifest.get(path.name, {})
        url, captured_at, charset = row.get("url") or None, row.get("captured_at") or None, row.get("charset") or None
        key = incremental.key("extract", digest, url, captured_at, charset, max_bytes)
        params = (("url", url), ("captured_at", captured_at), ("charset", charset), ("max_bytes", max_bytes))
        found[path.name] = (key, Task("extract", path.name, path, folder, params))
    return found


def extract(task: Task) -> list[tuple[str, Capture]]:
    from pipeline.extract.warc import is_warc, warc_captures

    p = dict(task.params)
    url, captured_at, charset, max_bytes = p["url"], p["captured_at"], p["charset"], p["max_bytes"]
    size = Path(task.source).stat().st_size
    if size > max_bytes:  # never loaded: memory stays bounded whatever lands in raw/
        return [
            (task.unit, Capture(task.unit, "unknown", "", [], url, errors=[f"extract: {too_big(size, max_bytes)}"]))
        ]
    data = task.source.read_bytes()
    if not is_warc(data):
        return [(task.unit, _read_one(task.unit, data, url, captured_at, charset, max_bytes))]
    try:  # a web archive: one capture per HTML response record, "<file>#0001", …
        return [
            (rec.name, _read_one(rec.name, rec.payload, rec.url, rec.date, rec.charset, max_bytes))
            for rec in warc_captures(task.unit, data)
        ]
    except Exception as exc:
        return [(task.unit, Capture(task.unit, "warc", "", [], errors=[f"extract: cannot read the WARC file: {exc}"]))]


def _read_one(
    name: str, data: bytes, url: str | None, captured_at: str | None, charset: str | None, max_bytes: int
) -> Capture:
    """Read one capture; one that cannot be read is quarantined, and the others still go through."""
    from pipeline.extract.read import read_capture

    try:
        return read_capture(name, data, url, captured_at, charset, max_bytes)
    except Exception as exc:
        return Capture(name, "unknown", "", [], url, captured_at, errors=[f"extract: cannot read the capture: {exc}"])


def failed(source: bytes | None, name: str, message: str) -> list[tuple[str, Capture]]:
    """The output of a capture whose work could not finish (its worker died)."""
    return [(name, Capture(name, "unknown", "", [], errors=[f"extract: {message}"]))]
