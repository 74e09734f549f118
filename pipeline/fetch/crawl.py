"""The fetch stage's orchestration: overview pages, then the cells they link to, then (--depth 1) the
pages the cells link to. Each page is fetched at most once a run, conditionally when raw/ already
holds a capture of it; the run ends with a summary and an exit status.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.extract.decode import decode
from pipeline.fetch import client, discover, robots, store
from pipeline.fetch.archive import WarcArchive
from pipeline.fetch.config import FetchConfig
from pipeline.fetch.deadline import Watch
from pipeline.fetch.pacing import HostPacer
from pipeline.runtime.progress import Progress

KINDS = ("fetched", "unchanged", "failed", "skipped", "resumed")


@dataclass
class Outcome:
    url: str
    kind: str  # one of KINDS
    file: str = ""  # the capture in raw/ that holds the page now
    status: int | None = None
    detail: str = ""  # why it failed or was skipped


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == "failed"]

    @property
    def exit_status(self) -> int:
        """0: every page fetched, unchanged or skipped by robots.txt; 1: some page failed (an unreadable
        robots.txt fails every page of its host)."""
        return 1 if self.failed else 0

    def text(self) -> str:
        line = (
            f"fetch: {self.count('fetched')} fetched, {self.count('unchanged')} unchanged, "
            f"{self.count('failed')} failed"
        )
        if self.count("skipped"):
            line += f", {self.count('skipped')} skipped (robots.txt)"
        if self.count("resumed"):
            line += f", {self.count('resumed')} already done before the interruption"
        lines = [line, *self.notes]
        for o in self.outcomes:
            if o.kind in ("failed", "skipped"):
                lines.append(f"  {o.kind}: {o.url} — {o.detail}")
        return "\n".join(lines)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Crawler:
    def __init__(
        self,
        config: FetchConfig,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        progress: Progress | None = None,
        now: Callable[[], str] = utc_now,
    ) -> None:
        """sleep: by default a wait that Ctrl-C ends at once (Watch.sleep)."""
        self.config, self.now = config, now
        self.progress = progress or Progress(quiet=True)
        self.watch = Watch(config.deadline)
        sleep = self.watch.sleep if sleep is None else sleep
        self.pacer = HostPacer(config.interval, clock, sleep)
        self.session = client.make_session(config, self.pacer, sleep)
        self.summary = Summary()
        self._lock = threading.Lock()  # raw/, manifest, journal, WARC: one writer at a time
        self._robots: dict[str, robots.Rules] = {}  # by origin
        self._robots_locks: dict[str, threading.Lock] = {}
        self._seen: set[str] = set()

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> Summary:
        c = self.config
        c.raw.mkdir(parents=True, exist_ok=True)
        for stale in store.remove_temp_files(c.raw):
            self.summary.notes.append(f"removed {stale.name}, left by an interrupted run")
        store.upgrade_manifest(c.raw)
        self.latest = store.latest_by_url(store.read_rows(c.raw), c.raw)
        self.journal = store.Journal.open(c.state, c.base, c.restart)
        if self.journal.resumed:
            self.progress.note(f"resuming an interrupted fetch: {len(self.journal.done)} page(s) already done")
        self.archive = WarcArchive(c.warc, resume=self.journal.resumed) if c.warc else None
        if self.archive is not None and self.journal.resumed:
            self._note_pages_missing_from_warc()
        finished = False
        try:
            overviews = self.fetch_all("overviews", discover.overview_urls(c.base))
            cells = discover.cell_urls(overviews, c.base)
            if c.limit is not None:
                cells = cells[: c.limit]
            cell_pages = self.fetch_all("cells", cells)
            if c.depth >= 1:
                documents = []
                for url in cells:
                    documents += discover.document_urls(cell_pages.get(url) or "", url, c.base)
                self.fetch_all("documents", list(dict.fromkeys(documents)))
            finished = True
        finally:
            self.progress.close()
            self.session.close()
            if self.archive is not None:
                self.archive.close(finished)
        self.journal.finish()
        return self.summary

    def _note_pages_missing_from_warc(self) -> None:
        """A resumed run's WARC carries on the interrupted run's; say so if pages that run fetched are not in it."""
        carried = set(self.archive.carried) if self.archive is not None else set()
        missing = [
            url
            for url, kind in self.journal.done.items()
            if kind == "fetched" and (self.latest.get(url) or {}).get("final_url", url) not in carried
        ]
        if missing:
            self.summary.notes.append(
                f"warning: {self.config.warc} lacks {len(missing)} page(s) fetched before the interruption "
                "(that run wrote no WARC, or wrote another file); their captures are in "
                f"{self.config.raw} and its manifest.csv"
            )

    def fetch_all(self, label: str, urls: list[str]) -> dict[str, str | None]:
        """Fetch urls (each once a run); returns each page's text (stored or fetched), None if failed."""
        urls = [u for u in urls if u not in self._seen]
        self._seen.update(urls)
        self.progress.start(label, len(urls))
        pages: dict[str, str | None] = {}
        pool = ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="fetch")
        try:
            futures = [pool.submit(self.fetch_one, url) for url in urls]
            for url, future in zip(urls, futures):
                outcome = future.result()
                self.summary.outcomes.append(outcome)
                self.progress.advance(outcome.kind, url, outcome.file if outcome.kind == "fetched" else outcome.detail)
                pages[url] = self._text(outcome.file) if outcome.file else None
        except BaseException:  # Ctrl-C: cut the requests in flight and end every wait; start no more
            self.watch.stop()
            raise
        finally:  # the journal keeps the place of pages already done
            pool.shutdown(wait=True, cancel_futures=True)
        return pages

    # -- one page --------------------------------------------------------------------------------
    def fetch_one(self, url: str) -> Outcome:
        c = self.config
        previous = self.latest.get(url)
        if url in self.journal.done and previous:
            return Outcome(url, "resumed", previous["file"], detail=self.journal.done[url])
        refused = client.refusal(url, c)
        if refused:
            return Outcome(url, "failed", detail=f"{refused} (not requested)")
        rules = self.rules(url)
        if rules.unreachable:
            return Outcome(url, "failed", detail=f"not fetched: {rules.unreachable}")
        if not rules.allowed(c.agent, url):
            return Outcome(
                url,
                "skipped",
                previous["file"] if previous else "",
                detail="disallowed by robots.txt",
            )
        response = client.get(
            self.session, url, c, self.pacer, self.watch, store.conditional_headers(previous), may_fetch=self.allowed
        )
        if response.status == 304 and previous and not response.error:
            self._mark(url, "unchanged")
            return Outcome(url, "unchanged", previous["file"], 304)
        if not response.ok:
            detail = response.error or f"HTTP {response.status}"
            return Outcome(url, "failed", status=response.status, detail=detail)
        return self.keep(response, previous)

    def keep(self, response: client.Response, previous: dict[str, str] | None) -> Outcome:
        """Store a 200 response: a new capture and manifest row, unless the bytes are the last capture's."""
        captured_at = self.now()
        with self._lock:
            name, _ = store.write_capture(self.config.raw, response.body)
            digest = store.sha256(response.body)
            if self.archive is not None:
                self.archive.add(response, captured_at)
            if previous and previous.get("sha256") == digest and previous["file"] == name:
                self._mark(response.url, "unchanged")
                return Outcome(response.url, "unchanged", name, 200, "same bytes as the last capture")
            row = {
                "file": name,
                "url": response.url,
                "final_url": response.final_url,
                "status": str(response.status),
                "captured_at": captured_at,
                "etag": response.headers.get("etag", ""),
                "last_modified": response.headers.get("last-modified", ""),
                "sha256": digest,
                "bytes": str(len(response.body)),
                "charset": response.charset or "",
            }
            store.append_row(self.config.raw, row)
            self.latest[response.url] = row
            self._mark(response.url, "fetched")
        return Outcome(response.url, "fetched", name, 200)

    def _mark(self, url: str, outcome: str) -> None:
        self.journal.mark(url, outcome)

    def _text(self, file: str) -> str:
        path = self.config.raw / file
        row = next((r for r in self.latest.values() if r["file"] == file), {})
        return decode(path.read_bytes(), row.get("charset") or None)[0] if path.is_file() else ""

    # -- robots.txt ------------------------------------------------------------------------------
    def rules(self, url: str) -> robots.Rules:
        """The robots.txt rules of the origin url connects to, read once a run."""
        origin = client.origin_text(client.request_origin(url))
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._robots:
                answer = client.get(
                    self.session,
                    origin + "/robots.txt",
                    self.config,
                    self.pacer,
                    self.watch,
                    check_type=False,
                    prefix=robots.MAX_BYTES,
                )
                rules = robots.from_response(origin, answer.status, answer.body, answer.charset, answer.error)
                delay = rules.crawl_delay(self.config.agent)
                if delay:
                    host = (client.request_origin(url) or ("", "", 0))[1]
                    self.pacer.set_interval(host, delay)
                    self.summary.notes.append(f"robots.txt of {origin} asks for {delay:g} s between requests")
                if rules.note:
                    self.summary.notes.append(rules.note)
                self._robots[origin] = rules
        return self._robots[origin]

    def allowed(self, url: str) -> bool:
        return self.rules(url).allowed(self.config.agent, url)


def crawl(config: FetchConfig, **kw) -> Summary:
    return Crawler(config, **kw).run()
