"""One raw entry to its Capture records: refused entries quarantined unread, a file read only inside
the capture folder and never past --max-bytes, a WARC file record by record. Whatever goes wrong
quarantines this entry (or this record) alone; the others still go through."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pipeline.extract.limits import Unreadable, too_big
from pipeline.extract.sources import Refused, target
from pipeline.model import Capture, Format


def extract_entry(
    name: str,
    path: Path,
    url: str | None,
    captured_at: str | None,
    charset: str | None,
    max_bytes: int,
    refused: tuple[str, ...] = (),
) -> list[Capture]:
    """`refused`: why the listing already turned the entry down (sources.py)."""
    from pipeline.extract.warc import WarcProblem, is_warc, warc_captures

    if refused:
        return [_quarantined(name, "unknown", url, captured_at, *refused)]
    try:
        data = read_bounded(path, max_bytes)
    except (Refused, Unreadable) as exc:
        return [_quarantined(name, "unknown", url, captured_at, str(exc))]
    if not is_warc(data):
        return [read_one(name, data, url, captured_at, charset, max_bytes)]
    found: dict[str, Capture] = {}  # a web archive: one capture per HTML response record, "<file>#0001", …
    for item in warc_captures(name, data, max_bytes):
        if isinstance(item, WarcProblem):
            if item.name in found:  # two problems of one record or of the file: one capture, both errors
                found[item.name].errors.append(f"extract: {item.message}")
            else:
                found[item.name] = _quarantined(item.name, "warc", None, None, item.message)
        else:
            found[item.name] = read_one(item.name, item.payload, item.url, item.date, item.charset, max_bytes)
    return list(found.values())


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file `path` is (or links to inside its folder), read up to the limit:
    a file that grows after it was listed is still cut off there."""
    real = target(path, os.path.realpath(path.parent))
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise Refused("not a regular file, not a capture")
            if info.st_size > max_bytes:  # never loaded: memory stays bounded whatever lands in raw/
                raise Unreadable(too_big(info.st_size, max_bytes))
            # asked for its size, not the limit: read(limit) allocates the limit (20 MB) every time and
            # shrinks it, ten times the cost of reading a page; a file grown since is still read on
            data = fh.read(info.st_size + 1)
            if len(data) > info.st_size:
                data += fh.read(max_bytes + 1 - len(data))
    except OSError as exc:
        raise Refused(f"cannot be read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise Unreadable(too_big(None, max_bytes))
    return data


def read_one(
    name: str, data: bytes, url: str | None, captured_at: str | None, charset: str | None, max_bytes: int
) -> Capture:
    """Read one capture; one that cannot be read is quarantined, and the others still go through."""
    from pipeline.extract.read import read_capture

    try:
        return read_capture(name, data, url, captured_at, charset, max_bytes)
    except Exception as exc:
        return _quarantined(name, "unknown", url, captured_at, f"cannot read the capture: {exc}")


def _quarantined(name: str, fmt: Format, url: str | None, captured_at: str | None, *errors: str) -> Capture:
    return Capture(name, fmt, "", [], url, captured_at, errors=[f"extract: {e}" for e in errors])
