"""Extract stage, per capture: one raw file (or each HTML record of a WARC file) → a `Capture` of blocks.

A file that cannot be read becomes a Capture carrying an `extract:` error (quarantined later); the
others still go through. The readers load here, so processes running other stages never import them.
"""

from __future__ import annotations

from pipeline.extract.limits import MAX_BYTES
from pipeline.extract.sources import raw_entries, raw_state
from pipeline.model import Capture
from pipeline.runtime import incremental
from pipeline.runtime.context import Context
from pipeline.runtime.stamps import Stamps
from pipeline.runtime.tasks import Task


def units(context: Context, only: set[str] | None = None) -> dict[str, tuple[str, Task]]:
    """Every raw entry (or those named in `only`) with the key its output is made from: content hash,
    manifest row, options, and any reason it is not read (sources.py), so that it is quarantined
    alone instead of read."""
    max_bytes = int(context.options.get("max_bytes") or MAX_BYTES)
    folder = context.stage_folder("extract")
    folder.mkdir(parents=True, exist_ok=True)
    entries = raw_entries(context.raw, only)
    files = {e.path: e.stat for e in entries if e.stat}
    named = None if only is None else {context.raw / name for name in only} | set(files)
    digests = incremental.file_digests(files, folder / incremental.DIGESTS, named)
    found = {}
    for entry in entries:
        row = entry.row
        url, captured_at, charset = row.get("url") or None, row.get("captured_at") or None, row.get("charset") or None
        digest = digests.get(entry.path, "")
        key = incremental.key("extract", digest, url, captured_at, charset, max_bytes, entry.refused)
        params = (
            ("url", url),
            ("captured_at", captured_at),
            ("charset", charset),
            ("max_bytes", max_bytes),
            ("refused", entry.refused),
        )
        found[entry.name] = (key, Task("extract", entry.name, entry.path, folder, params))
    return found


def state(context: Context) -> Stamps:
    """What `units` reads, cheaply: the status of every raw entry and of the manifest."""
    return raw_state(context.raw)


def extract(task: Task) -> list[tuple[str, Capture]]:
    from pipeline.extract.entry import extract_entry

    p = dict(task.params)
    captures = extract_entry(
        task.unit, task.source, p["url"], p["captured_at"], p["charset"], p["max_bytes"], p["refused"]
    )
    return [(capture.file, capture) for capture in captures]


def failed(_: None, name: str, message: str) -> list[tuple[str, Capture]]:
    """The output of an entry whose work could not finish (its worker died, or the reader raised where
    it does not isolate the capture itself)."""
    return [(name, Capture(name, "unknown", "", [], errors=[f"extract: {message}"]))]
