"""WARC files (.warc, .warc.gz) as captures: each HTML response record is one page, with the URL
and date the archive recorded. Lets captures from web archives and other crawlers be fed in.

A damaged archive never loses records silently: a file cut short, a record whose Content-Length
does not match its data, or bytes that are no record are reported (WarcProblem) after the records
read before them. Limits hold while reading: a page's body is read to --max-bytes and no further,
and the archive is inflated to at most WARC_INFLATION times that, so a small file cannot expand
into gigabytes.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from io import BytesIO
from typing import IO, TYPE_CHECKING, NamedTuple

from pipeline.extract.decode import header_charset
from pipeline.extract.limits import MAX_BYTES, too_big

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

_HTML = ("text/html", "application/xhtml+xml")
_GZIP = b"\x1f\x8b"
_GZIP_WBITS = 31  # zlib: a gzip header and trailer around the deflate stream
WARC_INFLATION = 50  # HTML compresses about tenfold; a ratio past this is a decompression bomb
_CHUNK = 1 << 16


class WarcCapture(NamedTuple):
    name: str  # "<file>#0001": the file's name and the record's place among its HTML pages
    url: str | None
    date: str | None  # WARC-Date, ISO 8601
    payload: bytes  # the HTTP body, de-chunked and decompressed
    charset: str | None  # the charset the recorded Content-Type header declared


class WarcProblem(NamedTuple):
    name: str  # the file, or "<file>#0003" for the record concerned
    message: str  # what is wrong and what to do


def is_warc(data: bytes) -> bool:
    """By content: a WARC starts with "WARC/"; a .warc.gz is gzip whose first member does."""
    if data.startswith(b"WARC/"):
        return True
    if data[:2] == _GZIP:
        try:
            with gzip.GzipFile(fileobj=BytesIO(data)) as fh:
                return fh.read(5) == b"WARC/"
        except (OSError, EOFError, zlib.error):
            return False
    return False


class _Damaged(Exception):
    """The archive cannot be read past this point (not an EOFError, which warcio takes for the end)."""


class _Inflated:
    """The archive's bytes as warcio reads them, inflated here member by member (so that a file cut
    short is noticed, after every byte before the cut was read) and counted (inflating stops at
    `budget`)."""

    def __init__(self, data: bytes, budget: int) -> None:
        self._data, self._at = data, 0
        self._gz = zlib.decompressobj(_GZIP_WBITS) if data[:2] == _GZIP else None
        self._budget = budget
        self.total = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._inflate()
        self.total += len(chunk)
        if self.total > self._budget:
            raise _Damaged(
                f"the archive inflates to more than {self._budget:,} bytes ({WARC_INFLATION} times --max-bytes)"
            )
        return chunk

    def tell(self) -> int:
        return self.total

    def _next(self) -> bytes:
        chunk = self._data[self._at : self._at + _CHUNK]
        self._at += len(chunk)
        return chunk

    def _inflate(self) -> bytes:
        """Up to _CHUNK inflated bytes; b"" only at the end of the last whole member."""
        while True:
            z = self._gz
            if z is None:  # not gzip: the bytes as they are
                return self._next()
            if z.eof:  # a member ended; the next one starts in what it left over, or in the data after it
                feed = z.unused_data or self._next()
                if not feed:
                    return b""
                z = self._gz = zlib.decompressobj(_GZIP_WBITS)
            else:
                feed = z.unconsumed_tail or self._next()
                if not feed:
                    raise _Damaged("the file is cut short (it ends inside a gzip member)")
            try:
                out = z.decompress(feed, _CHUNK)
            except zlib.error as exc:
                raise _Damaged(f"the file is corrupt ({exc})") from None
            if out:
                return out


def warc_captures(name: str, data: bytes, max_bytes: int = MAX_BYTES) -> Iterator[WarcCapture | WarcProblem]:
    """One WarcCapture per successful HTML response record, in file order; a WarcProblem for a record
    that cannot be trusted (in its place) and for damage that stops the reading (last)."""
    stream = _Inflated(data, WARC_INFLATION * max_bytes)
    from warcio.archiveiterator import ArchiveIterator  # loaded only where there is an archive to read

    records = ArchiveIterator(stream, arc2warc=True)
    n, held, last, errors = 0, None, None, 0
    try:
        for record in records:
            yield from _settle(name, held, last, records.err_count > errors)
            errors, last, held = records.err_count, record, None
            if _is_page(record):
                held = _capture(f"{name}#{n + 1:04d}", record, max_bytes)
                n += 1  # once its body is read: `n` is how many were read when damage stops the reading
    except Exception as exc:  # _Damaged, or warcio meeting bytes that are no record (a Content-Length too long)
        if held:  # the damage is past the end of its body: the page itself was read whole
            yield from _settle(name, held, last, records.err_count > errors)
        what = str(exc) if isinstance(exc, _Damaged) else f"cannot read the WARC file ({exc})"
        yield WarcProblem(name, f"{what}; read up to there: {n} page(s)")
        return
    yield from _settle(name, held, last, records.err_count > errors)
    if records.offset < stream.total:
        yield WarcProblem(name, f"the file is cut short inside a record after {n} page(s)")


def _is_page(record: ArcWarcRecord) -> bool:
    if record.rec_type != "response" or record.http_headers is None:
        return False
    status = record.http_headers.get_statuscode() or ""
    content_type = record.http_headers.get_header("Content-Type") or ""
    return status.startswith("2") and content_type.split(";")[0].strip().lower() in _HTML


def _capture(name: str, record: ArcWarcRecord, max_bytes: int) -> WarcCapture | WarcProblem:
    body = _read_at_most(record.content_stream(), max_bytes + 1)
    if len(body) > max_bytes:
        return WarcProblem(name, f"the page's body is over the limit: {too_big(None, max_bytes)}")
    content_type = record.http_headers.get_header("Content-Type") or ""
    return WarcCapture(
        name,
        record.rec_headers.get_header("WARC-Target-URI"),
        record.rec_headers.get_header("WARC-Date"),
        body,
        header_charset(content_type),
    )


def _settle(
    file: str, held: WarcCapture | WarcProblem | None, record: ArcWarcRecord | None, misaligned: bool
) -> Iterator[WarcCapture | WarcProblem]:
    """The last record, once warcio has read to its end: whether its data was all there."""
    if record is None:
        return
    name = held.name if held else file
    missing = record.raw_stream.limit
    if isinstance(held, WarcProblem):
        yield held
    elif missing:
        yield WarcProblem(
            name,
            f"a record ends {missing:,} bytes short of the length its Content-Length declares: the file is cut "
            "short, or the length is wrong and the records after it were read as its data",
        )
    elif misaligned:
        yield WarcProblem(
            name,
            "a record's Content-Length does not match its data (what follows is not the next record): "
            "records after it may be lost",
        )
    elif held:
        yield held


def _read_at_most(stream: IO[bytes], limit: int) -> bytes:
    parts, size = [], 0
    while size < limit:
        chunk = stream.read(min(_CHUNK, limit - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)
