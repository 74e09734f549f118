"""`--warc PATH`: every page fetched in a run, also written as a WARC response record (warcio), so a
crawl can be archived or fed to the extract stage elsewhere.

The file is written as `.PATH.part` and put in place only when the run finishes (runtime/atomic's
`Appending`: synced to disk, keeping the mode of the WARC it replaces). An interrupted run leaves the
part (each record flushed as it is written); the run that resumes it keeps its whole records, drops a
record cut off by a kill, and appends to it, so the WARC of an interrupted and resumed run holds the
pages of both halves.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.fetch.client import Response
from pipeline.runtime.atomic import Appending

# The body is stored decoded, so headers describing the transfer no longer apply to it.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}


class WarcArchive:
    def __init__(self, path: Path, resume: bool = False) -> None:
        """resume: carry on the part an interrupted run left (if any), else start afresh."""
        self._file = Appending(path)
        self.carried: list[str] = []  # target URIs of the records kept from the interrupted run
        resume = resume and self._file.resumable
        if resume:
            self.carried = _keep_whole_records(self._file.part)
        self._fh = self._file.open(resume)
        self._writer = WARCWriter(self._fh, gzip=path.name.endswith(".gz"))
        self.records = len(self.carried)

    def add(self, response: Response, captured_at: str) -> None:
        headers = [(k, v) for k, v in response.raw_headers if k.lower() not in _TRANSFER_HEADERS]
        headers.append(("Content-Length", str(len(response.body))))
        status = f"{response.status} {response.reason or 'OK'}"
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(
            response.final_url,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": captured_at},
        )
        self._writer.write_record(record)
        self._fh.flush()  # a killed run leaves whole records behind for the run that resumes it
        self.records += 1

    def close(self, finished: bool) -> None:
        """Put the WARC in place if the run finished; else keep the part for the run that resumes."""
        self._fh.close()
        if finished:
            self._file.finish()


def _keep_whole_records(path: Path) -> list[str]:
    """Cut the file after its last whole record; the target URIs of the records kept."""
    uris, end = [], 0
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        try:
            for record in records:
                record.content_stream().read()
                uri = record.rec_headers.get_header("WARC-Target-URI")
                records.read_to_end(record)
                end = records.get_record_offset() + records.get_record_length()
                uris.append(uri)
        except Exception:  # whatever warcio makes of a record cut off by a kill, it is dropped with the rest
            pass
    os.truncate(path, end)
    return uris
