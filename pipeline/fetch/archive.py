"""`--warc PATH`: every page fetched in a run, also written as a WARC response record (warcio), so a
crawl can be archived or fed to the extract stage elsewhere. Written under a temporary name and
renamed into place when the run ends."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.fetch.client import Response

# The body is stored decoded, so headers describing the transfer no longer apply to it.
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}


class WarcArchive:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.tmp, "wb")
        self._writer = WARCWriter(self._fh, gzip=path.name.endswith(".gz"))
        self.records = 0

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
        self.records += 1

    def close(self) -> None:
        self._fh.close()
        os.replace(self.tmp, self.path)
