"""A stand-in for the Effectiveness Bank on 127.0.0.1, for the fetch tests (and for trying `make fetch`).

It serves the two overview pages linking the 50 cells in the site's URL forms, a small valid page for
each cell, a few analysis pages, robots.txt, ETag / Last-Modified with 304 answers, and scripted
faults per path (a queue of replies served before the page itself): errors, stalls, dropped
connections, hostile headers sent verbatim, and answers trickled a byte at a time. It listens on
127.0.0.1 only. Every request is logged.

    python tests/fetchsite.py --port 8765     # serve it until Ctrl-C
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

from pipeline.site.matrix import ALL_CELLS, COLUMNS, ROWS  # the stand-in serves the site's own labels

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MATRICES = {"alcohol": ("Alcohol", "amatrix.php"), "drug": ("Drugs", "dmatrix.php")}
# The shipped HTML mirrors, served at the addresses of the pages they mirror.
REAL_PAGES = {"alcohol-E4": "alcohol-E4.html", "drug-E4": "drug-E4.html", "drug-E3": "drug-E3.html"}
NICE_PATH = "/PHP/dl.php?file=NICE_6.txt"
TRICKLE_MAX_SECONDS = 10.0  # a trickled answer stops here, so a client that never gives up cannot hold a thread


def cell_path(cell: str) -> str:
    matrix, code = cell.split("-")
    return f"/PHP/dl.php?file=Matrix/{MATRICES[matrix][0]}/{code}.htm"


def overview_path(matrix: str) -> str:
    return f"/docs/{MATRICES[matrix][1]}"


def overview_html(matrix: str, cells: list[str]) -> str:
    """The matrix grid, linking its cells in the forms the site uses (relative, absolute, with &s=eb)."""
    name = "Alcohol" if matrix == "alcohol" else "Drug"
    links = []
    for n, cell in enumerate(c for c in cells if c.startswith(matrix)):
        path = cell_path(cell)
        href = [f"..{path}&amp;s=eb", f"https://findings.org.uk{path}&amp;s=eb", path][n % 3]
        links.append(f'<td><a href="{href}">{cell.split("-")[1]}</a></td>')
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name} Treatment Matrix</title></head>'
        f"<body><h1>{name} Treatment Matrix</h1><table><tr>{''.join(links)}</tr></table>"
        f'<p><a href="/PHP/dl.php?file=Matrix/about_matrices.htm&amp;s=eb">About the matrices</a></p>'
        f'<p><a href="https://twitter.com/share">Share</a></p></body></html>'
    )


def cell_html(
    cell: str,
    documents: list[str] = (),
    revised: str = "01 May 2020",
    extra: str = "",
    title: str = "Some study title",
    meta_charset: str = "utf-8",
) -> str:
    matrix, code = cell.split("-")
    name = "Alcohol" if matrix == "alcohol" else "Drug"
    column, row = COLUMNS[code[0]], ROWS[matrix][int(code[1])]
    entries = [
        f'<p><b>K</b> <a href="/PHP/dl.php?file=Some_Study_{code}.txt&amp;s=eb">{title}</a> (2012). '
        f"Annotation text for cell {code}.</p>"
    ]
    for n, doc in enumerate(documents, start=1):
        entries.append(
            f'<p><b>R</b> <a href="https://findings.org.uk/PHP/dl.php?file={doc}&amp;s=eb">'
            f"Linked review number {n}</a> ({2000 + n}). A review linked from this cell.</p>"
        )
    return (
        f'<!DOCTYPE html><html><head><meta charset="{meta_charset}">'
        f"<title>{name} Treatment Matrix cell {code}</title></head><body>"
        f"<h1>{name} Treatment Matrix cell {code}</h1><p>{column}; {row}</p>{''.join(entries)}{extra}"
        f"<p><b>more</b> Search for more studies and reviews on this topic.</p>"
        f"<p>Last revised {revised}. First uploaded 01 June 2013</p></body></html>"
    )


def analysis_html(doc: str) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{doc}</title></head><body>'
        f"<h1>Findings analysis of {doc}</h1><p>This is the analysis page of {doc}.</p></body></html>"
    )


@dataclass
class Reply:
    """One scripted answer. delay: stall before answering; drop: close the connection unanswered."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    omit_length: bool = False  # no Content-Length: the body ends when the connection closes
    trickle: float = 0.0  # send one byte every this many seconds (for at most TRICKLE_MAX_SECONDS)
    trickle_from: Literal["headers", "body"] = "headers"  # what is trickled: the whole answer, or its body


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: float = 1_600_000_000.0
    delay: float = 0.0  # every answer to this page stalls this long (a slow page)
    validators: bool = True  # send ETag and Last-Modified, answer conditional requests

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float


class FetchSite:
    """The fixture site. `cells`: the cells the overview pages link to (all 50 by default)."""

    def __init__(
        self,
        cells: list[str] | None = None,
        documents: dict[str, list[str]] | None = None,
        real_pages: bool = False,
        robots: str = "User-agent: *\nDisallow: /private/\n",
    ) -> None:
        self.pages: dict[str, Page] = {}
        self.faults: dict[str, list[Reply]] = {}
        self.log: list[Hit] = []
        self.robots = robots
        self._lock = threading.Lock()
        linked = list(ALL_CELLS if cells is None else cells)
        for matrix in MATRICES:
            self.set_page(overview_path(matrix), overview_html(matrix, linked))
        for cell in ALL_CELLS:
            docs = (documents or {}).get(cell, [])
            if real_pages and cell in REAL_PAGES:
                self.set_page(cell_path(cell), (FIXTURES / "html" / REAL_PAGES[cell]).read_bytes())
            else:
                self.set_page(cell_path(cell), cell_html(cell, docs))
            for doc in docs + [f"Some_Study_{cell.split('-')[1]}.txt"]:
                self.set_page(f"/PHP/dl.php?file={doc}", analysis_html(doc))
        self.set_page(NICE_PATH, (FIXTURES / "html" / "analysis-nice-2007.html").read_bytes())
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- the site's content ----------------------------------------------------------------------
    def set_page(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", **kw) -> Page:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            old = self.pages.get(path)
            modified = (
                (old.last_modified + 3600)
                if old and old.body != data
                else (old.last_modified if old else 1_600_000_000.0)
            )
            page = Page(data, content_type, modified, **kw)
            self.pages[path] = page
        return page

    def script(self, path: str, *replies: Reply) -> None:
        """Serve these replies, in order, to the next requests for path; then the page again."""
        with self._lock:
            self.faults.setdefault(path, []).extend(replies)

    def requested(self, exclude_robots: bool = True) -> list[str]:
        with self._lock:
            return [h.path for h in self.log if not (exclude_robots and h.path == "/robots.txt")]

    def hits(self) -> list[Hit]:
        with self._lock:
            return list(self.log)

    # -- running -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FetchSite:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FetchSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- answering -----------------------------------------------------------------------------------
    def answer(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.log.append(Hit(path, headers, time.monotonic()))
            queued = self.faults.get(path)
            if queued:
                return queued.pop(0)
            page = self.pages.get(path)
        if path == "/robots.txt":
            return Reply(200, self.robots.encode(), {"Content-Type": "text/plain"})
        if page is None:
            return Reply(404, b"<html><body><h1>Not found</h1></body></html>", {"Content-Type": "text/html"})
        if page.validators:
            validators = {"ETag": page.etag, "Last-Modified": formatdate(page.last_modified, usegmt=True)}
            if _not_modified(page, headers):
                return Reply(304, b"", validators, delay=page.delay)
        else:
            validators = {}
        return Reply(200, page.body, {"Content-Type": page.content_type, **validators}, delay=page.delay)


def _not_modified(page: Page, headers: dict[str, str]) -> bool:
    tag = headers.get("if-none-match")
    if tag is not None:
        return page.etag in [t.strip() for t in tag.split(",")] or tag.strip() == "*"
    since = headers.get("if-modified-since")
    if since:
        try:
            return page.last_modified <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _handler(site: FetchSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            reply = site.answer(self.path, {k.lower(): v for k, v in self.headers.items()})
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.close()
                return
            if reply.trickle:
                self._trickle(reply)
                return
            try:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.status != 304 and not reply.omit_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.status != 304:
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _trickle(self, reply: Reply) -> None:
            head = f"HTTP/1.0 {reply.status} Scripted\r\n" + "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            if not reply.omit_length:
                head += f"Content-Length: {len(reply.body)}\r\n"
            data = (head + "\r\n").encode("latin-1") + reply.body
            start = 0 if reply.trickle_from == "headers" else len(data) - len(reply.body)
            self.close_connection = True
            ends = time.monotonic() + TRICKLE_MAX_SECONDS
            try:
                self.wfile.write(data[:start])
                for i in range(start, len(data)):
                    if time.monotonic() > ends:
                        break
                    self.wfile.write(data[i : i + 1])
                    time.sleep(reply.trickle)
            except OSError:  # the client gave up: what a client with a deadline does
                pass

        def log_message(self, *args) -> None:
            pass

    return Handler


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--real-pages", action="store_true", help="serve the shipped HTML mirrors at E4/E3")
    args = parser.parse_args()
    site = FetchSite(real_pages=args.real_pages, documents={"alcohol-A1": ["Study_One.txt", "Review_Two.txt"]})
    site.server.server_close()
    site.server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(site))
    site.server.daemon_threads = True
    print(f"serving the fixture site at {site.url} (Ctrl-C to stop)", flush=True)
    try:
        site.server.serve_forever()
    except KeyboardInterrupt:
        pass
