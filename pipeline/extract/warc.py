"""WARC files (.warc, .warc.gz) as captures: each HTML response record is one page, with the URL
and date the archive recorded. Lets captures from web archives and other crawlers be fed in."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from io import BytesIO
from typing import NamedTuple

from warcio.archiveiterator import ArchiveIterator

from pipeline.extract.decode import header_charset

_HTML = ("text/html", "application/xhtml+xml")


class WarcCapture(NamedTuple):
    name: str  # "<file>#0001": the file's name and the record's place among its HTML pages
    url: str | None
    date: str | None  # WARC-Date, ISO 8601
    payload: bytes  # the HTTP body, de-chunked and decompressed
    charset: str | None  # the charset the recorded Content-Type header declared


def is_warc(data: bytes) -> bool:
    """By content: a WARC starts with "WARC/"; a .warc.gz is gzip whose first member does."""
    if data.startswith(b"WARC/"):
        return True
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=BytesIO(data)) as fh:
                return fh.read(5) == b"WARC/"
        except (OSError, EOFError):
            return False
    return False


def warc_captures(name: str, data: bytes) -> Iterator[WarcCapture]:
    """One WarcCapture per successful HTML response record, in file order."""
    n = 0
    for record in ArchiveIterator(BytesIO(data), arc2warc=True):
        if record.rec_type != "response" or record.http_headers is None:
            continue
        status = record.http_headers.get_statuscode()
        content_type = record.http_headers.get_header("Content-Type") or ""
        if not (status or "").startswith("2") or content_type.split(";")[0].strip().lower() not in _HTML:
            continue
        n += 1
        yield WarcCapture(
            f"{name}#{n:04d}",
            record.rec_headers.get_header("WARC-Target-URI"),
            record.rec_headers.get_header("WARC-Date"),
            record.content_stream().read(),
            header_charset(content_type),
        )
