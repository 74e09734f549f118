"""The fetch stage against a real HTTP server on 127.0.0.1 (tests/fetchsite.py): politeness, faults,
conditional requests, resumption, WARC in and out, and fetched pages flowing into the tables.
No test reaches the internet and none sleeps for real: sleeps are recorded, the pacing test runs on
an injected clock."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, folder_of, run_on, warc_response
from fetchsite import (
    ALL_CELLS,
    NICE_PATH,
    FetchSite,
    Reply,
    cell_html,
    cell_path,
    overview_path,
)

from pipeline.cli import main
from pipeline.extract.decode import decode
from pipeline.extract.sources import read_manifest
from pipeline.extract.warc import is_warc, warc_captures
from pipeline.fetch import discover, store
from pipeline.fetch.config import ConfigError, FetchConfig
from pipeline.fetch.crawl import Crawler, crawl
from pipeline.fetch.pacing import HostPacer
from pipeline.runtime.progress import Progress
from pipeline.site.matrix import cell_from_url

CONTACT = "fetch-tests@example.org"
MANIFEST_HEADER = "file,url,final_url,status,captured_at,etag,last_modified,sha256,bytes,charset"


class Sleeps(list):
    """A sleep that records how long it was asked to sleep, and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FakeClock:
    """Time that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(0.0, seconds)


def config(site: FetchSite, tmp: Path, **kw) -> FetchConfig:
    settings = dict(
        raw=tmp / "raw",
        state=tmp / "state",
        base_url=site.url,
        contact=CONTACT,
        interval=0.0,
        connect_timeout=2.0,
        read_timeout=2.0,
        retries=2,
        backoff_factor=0.5,
        backoff_jitter=0.25,
        concurrency=2,
    )
    settings.update(kw)
    return FetchConfig(**settings)


def fetch(site: FetchSite, tmp: Path, sleeps: Sleeps | None = None, **kw):
    return crawl(config(site, tmp, **kw), sleep=Sleeps() if sleeps is None else sleeps)


def manifest_rows(raw: Path) -> list[dict[str, str]]:
    with open(raw / "manifest.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def captures(raw: Path) -> list[str]:
    return sorted(p.name for p in raw.iterdir() if p.name != "manifest.csv")


def outcome(summary, path: str):
    return next(o for o in summary.outcomes if o.url.endswith(path))


@pytest.fixture
def site():
    with FetchSite(cells=["alcohol-A1", "alcohol-B2", "drug-C3"]) as s:
        yield s


# -- discovery (pure) --------------------------------------------------------------------------------


def test_overview_links_become_canonical_cell_urls_and_a_missing_overview_falls_back_to_a1_e5():
    from fetchsite import overview_html

    base = "http://mirror.test:8080"
    page = overview_html("alcohol", ["alcohol-A4", "alcohol-B3", "alcohol-E5", "drug-A1"])
    urls = discover.cell_urls({f"{base}/docs/amatrix.php": page.encode(), f"{base}/docs/dmatrix.php": None}, base)
    assert urls[:3] == [f"{base}/PHP/dl.php?file=Matrix/Alcohol/{c}.htm" for c in ("A4", "B3", "E5")]
    # relative, absolute-to-the-live-site and plain links all land on the mirror, in the form the pipeline reads
    assert [cell_from_url(u) for u in urls[:3]] == ["alcohol-A4", "alcohol-B3", "alcohol-E5"]
    drug = urls[3:]
    assert len(drug) == 25 and {cell_from_url(u) for u in drug} == {c for c in ALL_CELLS if c.startswith("drug")}


def test_cell_pages_link_their_analysis_pages_not_navigation_or_other_sites():
    base = "http://127.0.0.1:9"
    page = (FIXTURES / "html" / "drug-E4.html").read_bytes()
    docs = discover.document_urls(page, f"{base}/PHP/dl.php?file=Matrix/Drugs/E4.htm", base)
    assert f"{base}/PHP/dl.php?file=NICE_6.txt" in docs
    assert len(docs) == len(set(docs)) > 10
    assert all(u.startswith(f"{base}/PHP/dl.php?file=") for u in docs)
    assert not [u for u in docs if "Matrix/" in u or "twitter" in u or "mailto" in u]


# -- a whole crawl -----------------------------------------------------------------------------------


def test_crawl_of_all_50_cells_stores_each_page_once_with_a_manifest_row(tmp_path):
    with FetchSite() as site:
        summary = fetch(site, tmp_path, concurrency=4)
        hits = site.hits()
    assert summary.exit_status == 0 and summary.count("fetched") == 52 and not summary.failed
    rows = manifest_rows(tmp_path / "raw")
    assert (tmp_path / "raw" / "manifest.csv").read_text("utf-8").splitlines()[0] == MANIFEST_HEADER
    assert len(rows) == 52 == len(captures(tmp_path / "raw"))
    assert {cell_from_url(r["url"]) for r in rows} - {None} == set(ALL_CELLS)
    for row in rows:
        body = (tmp_path / "raw" / row["file"]).read_bytes()
        assert row["file"] == f"fetch_{hashlib.sha256(body).hexdigest()[:16]}.html"
        assert row["sha256"] == hashlib.sha256(body).hexdigest() and row["bytes"] == str(len(body))
        assert row["status"] == "200" and row["etag"] and row["last_modified"] and row["captured_at"].endswith("Z")
    # identifying User-Agent with the contact address; robots.txt read once, before anything else
    assert all(
        CONTACT in h.headers["user-agent"] and h.headers["user-agent"].startswith("findings-pipeline/") for h in hits
    )
    assert [h.path for h in hits].count("/robots.txt") == 1 and hits[0].path == "/robots.txt"
    assert "fetch: 52 fetched, 0 unchanged, 0 failed" in summary.text()


def test_an_overview_that_cannot_be_had_falls_back_to_the_known_cells(tmp_path, site):
    site.script(overview_path("drug"), Reply(404))
    summary = fetch(site, tmp_path)
    cells = {cell_from_url(p) for p in site.requested()} - {None}
    assert cells == {"alcohol-A1", "alcohol-B2"} | {c for c in ALL_CELLS if c.startswith("drug")}
    assert [o.url for o in summary.failed] == [site.url + overview_path("drug")]


def test_depth_1_fetches_the_pages_cells_link_to(tmp_path):
    with FetchSite(cells=["alcohol-A1", "drug-C3"], documents={"alcohol-A1": ["Review_X.txt"]}) as site:
        summary = fetch(site, tmp_path, depth=1)
        fetched = {o.url.removeprefix(site.url) for o in summary.outcomes if o.kind == "fetched"}
    assert {
        "/PHP/dl.php?file=Review_X.txt",
        "/PHP/dl.php?file=Some_Study_A1.txt",
        "/PHP/dl.php?file=Some_Study_C3.txt",
    } <= fetched
    assert summary.exit_status == 0 and len(fetched) == 2 + 2 + 3


# -- scripted faults -----------------------------------------------------------------------------------


def test_500_then_200_is_retried_with_backoff(tmp_path, site):
    path = cell_path("alcohol-A1")
    site.script(path, Reply(500), Reply(503))
    sleeps = Sleeps()
    summary = fetch(site, tmp_path, sleeps, backoff_factor=0.5, backoff_jitter=0.0)
    assert outcome(summary, path).kind == "fetched"
    assert site.requested().count(path) == 3
    assert 1.0 in sleeps  # urllib3 Retry: second retry waits backoff_factor * 2


def test_a_page_that_still_fails_after_its_retries_is_reported_and_the_run_goes_on(tmp_path, site):
    path = cell_path("alcohol-B2")
    site.script(path, *[Reply(502)] * 3)
    summary = fetch(site, tmp_path, retries=2)
    failed = outcome(summary, path)
    assert failed.kind == "failed" and failed.status == 502 and "HTTP 502" in failed.detail
    assert site.requested().count(path) == 3
    assert outcome(summary, cell_path("drug-C3")).kind == "fetched"
    assert summary.exit_status == 1 and f"failed: {site.url}{path} — HTTP 502" in summary.text()


def test_429_with_retry_after_is_honoured(tmp_path, site):
    path = cell_path("drug-C3")
    site.script(path, Reply(429, headers={"Retry-After": "7"}))
    sleeps = Sleeps()
    summary = fetch(site, tmp_path, sleeps)
    assert outcome(summary, path).kind == "fetched"
    assert 7 in sleeps and site.requested().count(path) == 2


def test_a_read_that_stalls_past_the_timeout_is_retried_then_reported(tmp_path, site):
    once, always = cell_path("alcohol-A1"), cell_path("alcohol-B2")
    site.script(once, Reply(delay=0.6, body=b"late"))
    site.script(always, *[Reply(delay=0.6, body=b"late")] * 2)
    started = time.monotonic()
    summary = fetch(site, tmp_path, read_timeout=0.15, retries=1)
    assert time.monotonic() - started < 3
    assert outcome(summary, once).kind == "fetched"
    failed = outcome(summary, always)
    assert failed.kind == "failed" and "timed out" in failed.detail.lower()
    assert site.requested().count(always) == 2


def test_a_dropped_connection_is_retried_then_reported(tmp_path, site):
    once, always = cell_path("alcohol-A1"), cell_path("drug-C3")
    site.script(once, Reply(drop=True))
    site.script(always, *[Reply(drop=True)] * 3)
    summary = fetch(site, tmp_path, retries=2)
    assert outcome(summary, once).kind == "fetched"
    failed = outcome(summary, always)
    assert failed.kind == "failed" and failed.status is None and failed.detail
    assert site.requested().count(always) == 3


def test_redirects_go_only_to_allow_listed_hosts_and_only_so_far(tmp_path, site):
    port = site.url.rsplit(":", 1)[1]
    foreign, local, chain = cell_path("alcohol-A1"), cell_path("alcohol-B2"), cell_path("drug-C3")
    site.script(foreign, Reply(302, headers={"Location": f"http://localhost:{port}/elsewhere"}))
    site.script(local, Reply(301, headers={"Location": "/moved/B2"}))
    site.set_page("/moved/B2", cell_html("alcohol-B2"))
    site.script(chain, *[Reply(302, headers={"Location": chain})] * 5)
    summary = fetch(site, tmp_path, max_redirects=3)
    refused = outcome(summary, foreign)
    assert refused.kind == "failed" and "not on the allow-list" in refused.detail and "not followed" in refused.detail
    assert "/elsewhere" not in site.requested()  # localhost is this machine, but not on the allow-list
    row = next(r for r in manifest_rows(tmp_path / "raw") if r["url"].endswith(local))
    assert row["final_url"] == site.url + "/moved/B2" and cell_from_url(row["url"]) == "alcohol-B2"
    looped = outcome(summary, chain)
    assert looped.kind == "failed" and "more than 3 redirects" in looped.detail
    assert site.requested().count(chain) == 4


def test_allow_host_lets_a_redirect_through(tmp_path, site):
    port = site.url.rsplit(":", 1)[1]
    path = cell_path("alcohol-A1")
    site.script(path, Reply(302, headers={"Location": f"http://localhost:{port}/moved/A1"}))
    site.set_page("/moved/A1", cell_html("alcohol-A1"))
    summary = fetch(site, tmp_path, allow_hosts=("localhost",))
    assert outcome(summary, path).kind == "fetched" and "/moved/A1" in site.requested()


def test_a_body_over_the_size_limit_is_not_stored(tmp_path, site):
    declared, streamed = cell_path("alcohol-A1"), cell_path("alcohol-B2")
    big = cell_html("alcohol-A1", extra="<p>" + "x" * 30_000 + "</p>").encode()
    site.script(declared, Reply(200, big, {"Content-Type": "text/html"}))
    site.script(streamed, Reply(200, big, {"Content-Type": "text/html"}, omit_length=True))
    summary = fetch(site, tmp_path, max_bytes=20_000)
    for path in (declared, streamed):
        o = outcome(summary, path)
        assert o.kind == "failed" and "20000-byte limit" in o.detail
    assert not [r for r in manifest_rows(tmp_path / "raw") if r["url"].endswith((declared, streamed))]
    assert all(len((tmp_path / "raw" / f).read_bytes()) <= 20_000 for f in captures(tmp_path / "raw"))


def test_a_page_that_is_not_html_is_not_stored(tmp_path, site):
    path = cell_path("alcohol-A1")
    site.script(path, Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    o = outcome(fetch(site, tmp_path), path)
    assert o.kind == "failed" and "application/pdf" in o.detail


def test_the_header_charset_outranks_meta_through_to_the_tables(tmp_path, site):
    """Declared KOI8-R by the server and windows-1252 by the page: the server is right."""
    path = cell_path("drug-C3")
    title = "Исследование лечения"
    body = cell_html("drug-C3", title=title, meta_charset="windows-1252").encode("koi8-r")
    site.set_page(path, body, content_type="text/html; charset=KOI8-R")
    site.set_page(cell_path("alcohol-A1"), cell_html("alcohol-A1").encode(), content_type="text/html")
    fetch(site, tmp_path)
    rows = {r["url"].removeprefix(site.url): r for r in manifest_rows(tmp_path / "raw")}
    assert rows[path]["charset"] == "KOI8-R" and rows[cell_path("alcohol-A1")]["charset"] == ""
    stored = (tmp_path / "raw" / rows[path]["file"]).read_bytes()
    assert stored == body  # the capture is the response as received
    assert title not in decode(stored)[0] and title in decode(stored, "KOI8-R")[0]
    entries = run_on(tmp_path / "raw", tmp_path / "work").table("entries")
    assert entries[entries.cell_id == "drug-C3"].title.tolist() == [title, "Linked review number 1"][:1]


def test_robots_txt_disallowing_a_path_is_obeyed(tmp_path):
    with FetchSite(
        cells=["alcohol-A1", "drug-C3", "drug-D4"], robots="User-agent: *\nDisallow: /PHP/dl.php?file=Matrix/Drugs/\n"
    ) as site:
        summary = fetch(site, tmp_path)
        requested = site.requested()
    assert not [p for p in requested if "Matrix/Drugs" in p]
    assert cell_path("alcohol-A1") in requested
    assert summary.count("skipped") == 2 and summary.exit_status == 0
    assert "2 skipped (robots.txt)" in summary.text()


def test_robots_txt_for_another_agent_does_not_apply(tmp_path):
    with FetchSite(cells=["alcohol-A1", "drug-C3"], robots="User-agent: OtherBot\nDisallow: /\n") as site:
        summary = fetch(site, tmp_path)
    assert summary.count("skipped") == 0 and summary.count("fetched") == 4


# -- pacing ------------------------------------------------------------------------------------------


def _gaps(history: list[tuple[str, float]]) -> list[float]:
    times = sorted(t for _, t in history)
    return [b - a for a, b in zip(times, times[1:])]


def test_pacing_never_sends_two_requests_to_a_host_closer_than_the_interval(tmp_path):
    clock = FakeClock()
    with FetchSite(cells=["alcohol-A1", "alcohol-B2", "alcohol-C3", "drug-A1", "drug-B2"]) as site:
        site.script(cell_path("alcohol-B2"), Reply(500))
        site.script(cell_path("drug-A1"), Reply(429, headers={"Retry-After": "0"}))
        crawler = Crawler(
            config(site, tmp_path, interval=1.5, concurrency=3, backoff_factor=0.0, backoff_jitter=0.0),
            clock=clock.clock,
            sleep=clock.sleep,
        )
        started = time.monotonic()
        summary = crawler.run()
        served = len(site.hits())
    assert summary.count("fetched") == 7
    assert time.monotonic() - started < 2  # the clock was injected: nothing slept for real
    history = crawler.pacer.history
    assert len(history) == served == 10  # every request took its turn, retries and robots.txt included
    assert {h for h, _ in history} == {"127.0.0.1"}
    assert min(_gaps(history)) >= 1.5


def test_robots_crawl_delay_slows_the_pace(tmp_path):
    clock = FakeClock()
    with FetchSite(cells=["alcohol-A1", "drug-B2"], robots="User-agent: *\nCrawl-delay: 4\n") as site:
        crawler = Crawler(config(site, tmp_path, interval=1.0), clock=clock.clock, sleep=clock.sleep)
        summary = crawler.run()
    assert min(_gaps(crawler.pacer.history)) >= 4
    assert "asks for 4 s between requests" in summary.text()


def test_the_pacer_spaces_concurrent_callers():
    clock = FakeClock()
    pacer = HostPacer(2.0, clock.clock, clock.sleep)
    threads = [threading.Thread(target=pacer.wait, args=(host,)) for host in ["a"] * 6 + ["b"] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for host in ("a", "b"):
        slots = sorted(t for h, t in pacer.history if h == host)
        assert all(b - a >= 2.0 for a, b in zip(slots, slots[1:]))


# -- conditional requests, immutability, what downstream makes of two captures ----------------------------


def test_a_second_run_makes_only_conditional_requests_and_a_changed_page_adds_one_capture(tmp_path, site):
    raw = tmp_path / "raw"
    first = fetch(site, tmp_path)
    assert first.count("fetched") == 5
    files, manifest = captures(raw), (raw / "manifest.csv").read_bytes()
    mtimes = {f: (raw / f).stat().st_mtime_ns for f in files}
    site.log.clear()

    second = fetch(site, tmp_path)
    pages = [h for h in site.hits() if h.path != "/robots.txt"]
    assert len(pages) == 5 and all(h.headers.get("if-none-match") and h.headers.get("if-modified-since") for h in pages)
    assert second.count("unchanged") == 5 and second.count("fetched") == 0
    assert captures(raw) == files and (raw / "manifest.csv").read_bytes() == manifest
    assert {f: (raw / f).stat().st_mtime_ns for f in files} == mtimes

    path = cell_path("alcohol-B2")
    site.set_page(path, cell_html("alcohol-B2", revised="03 March 2024", title="A newer study title"))
    third = fetch(site, tmp_path)
    assert third.count("fetched") == 1 and third.count("unchanged") == 4
    new_files = sorted(set(captures(raw)) - set(files))
    assert len(new_files) == 1 and set(files) <= set(captures(raw))
    rows = manifest_rows(raw)
    assert len(rows) == 6 and rows[-1]["file"] == new_files[0] and rows[-1]["url"] == site.url + path

    # downstream: the newer capture wins, and the report says the older one was superseded
    run = run_on(raw, tmp_path / "work")
    cell = run.table("cells").set_index("cell_id").loc["alcohol-B2"]
    assert str(cell.last_revised) == "2024-03-03"
    assert run.table("entries").query("cell_id == 'alcohol-B2'").title.tolist()[0] == "A newer study title"
    old = next(c for c in run.report["captures"] if c["cell_id"] == "alcohol-B2" and c["file"] != new_files[0])
    assert old["status"] == "superseded" and any("superseded" in n for n in old["notes"])


def test_a_server_without_validators_sending_the_same_bytes_adds_nothing(tmp_path, site):
    for path, page in list(site.pages.items()):
        site.set_page(path, page.body, validators=False)
    fetch(site, tmp_path)
    files, manifest = captures(tmp_path / "raw"), (tmp_path / "raw" / "manifest.csv").read_bytes()
    again = fetch(site, tmp_path)
    assert again.count("unchanged") == 5
    assert captures(tmp_path / "raw") == files and (tmp_path / "raw" / "manifest.csv").read_bytes() == manifest


def test_an_older_three_column_manifest_is_upgraded_and_stays_readable(tmp_path, site):
    raw = folder_of(
        tmp_path / "raw",
        {
            "old.txt": "Alcohol Treatment Matrix cell A1\n",
            "manifest.csv": "file,url,captured_at\nold.txt,https://x/Matrix/Alcohol/A1.htm,2024-01-01T00:00:00Z\n",
        },
    )
    fetch(site, tmp_path)
    text = (raw / "manifest.csv").read_text("utf-8")
    assert text.splitlines()[0] == MANIFEST_HEADER
    manifest = read_manifest(raw)
    assert manifest["old.txt"]["url"] == "https://x/Matrix/Alcohol/A1.htm"
    assert manifest["old.txt"]["captured_at"] == "2024-01-01T00:00:00Z" and len(manifest) == 6


def test_capture_names_are_safe_and_content_addressed(tmp_path):
    raw = tmp_path
    a, new_a = store.write_capture(raw, b"<html>one</html>")
    again, new_again = store.write_capture(raw, b"<html>one</html>")
    b, _ = store.write_capture(raw, b"<html>two</html>")
    assert a == again and new_a and not new_again and a != b
    assert a.startswith("fetch_") and a.endswith(".html") and a.replace(".", "").replace("_", "").isalnum()
    assert not list(raw.glob(".*"))


# -- interruption ------------------------------------------------------------------------------------------


def test_a_killed_fetch_resumes_fetching_only_what_is_missing(tmp_path):
    cells = ["alcohol-A1", "alcohol-A2", "alcohol-A3", "drug-A1", "drug-A2", "drug-A3"]
    raw, interim = tmp_path / "raw", tmp_path / "interim"
    with FetchSite(cells=cells) as site:
        for cell in cells:
            site.pages[cell_path(cell)].delay = 0.25
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline",
                "fetch",
                "-q",
                "--raw",
                str(raw),
                "--interim",
                str(interim),
                "--base-url",
                site.url,
                "--contact",
                CONTACT,
                "--interval",
                "0",
                "--concurrency",
                "1",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        journal = interim / "fetch" / "journal.tsv"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # kill between pages: each page's row and journal line both written
            if (raw / "manifest.csv").exists() and len(manifest_rows(raw)) >= 4:
                if len(journal.read_text("utf-8").splitlines()) - 1 == len(manifest_rows(raw)):
                    break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stored = {r["url"].removeprefix(site.url) for r in manifest_rows(raw)}
        assert 4 <= len(stored) < 8, "killed too late: nothing left to resume"
        for f in captures(raw):  # nothing partial under a capture's name
            if f.startswith("fetch_"):
                assert f[6:22] == hashlib.sha256((raw / f).read_bytes()).hexdigest()[:16]
        site.log.clear()

        summary = crawl(
            FetchConfig(raw=raw, state=interim / "fetch", base_url=site.url, contact=CONTACT, interval=0.0),
            sleep=Sleeps(),
        )
        rerun = site.requested()
    everything = {overview_path("alcohol"), overview_path("drug")} | {cell_path(c) for c in cells}
    assert sorted(rerun) == sorted(everything - stored)
    assert summary.count("resumed") == len(stored) and summary.exit_status == 0
    assert {r["url"].removeprefix(site.url) for r in manifest_rows(raw)} == everything
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]
    assert not (interim / "fetch" / "journal.tsv").exists()  # the run finished: next time is a fresh one


def test_temporary_files_of_a_killed_write_are_removed(tmp_path, site):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / ".fetch_0123456789abcdef.html.x1y2.part").write_bytes(b"<html>half a pa")
    summary = fetch(site, tmp_path)
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]
    assert any("left by an interrupted run" in n for n in summary.notes)


# -- WARC, both directions ---------------------------------------------------------------------------------


def test_a_warc_written_by_the_fetch_feeds_the_extract_stage(tmp_path, site):
    warc = tmp_path / "crawl.warc.gz"
    summary = fetch(site, tmp_path, warc=warc)
    data = warc.read_bytes()
    assert is_warc(data) and data[:2] == b"\x1f\x8b"
    records = list(warc_captures("crawl.warc.gz", data))
    assert len(records) == summary.count("fetched") == 5
    assert records[0].name == "crawl.warc.gz#0001" and records[0].date.endswith("Z")
    by_url = {r.url: r for r in records}
    for row in manifest_rows(tmp_path / "raw"):
        assert by_url[row["url"]].payload == (tmp_path / "raw" / row["file"]).read_bytes()

    only_warc = folder_of(tmp_path / "warc-raw", {"crawl.warc.gz": warc})
    from_warc = run_on(only_warc, tmp_path / "w1")
    from_raw = run_on(tmp_path / "raw", tmp_path / "w2")
    assert from_warc.status == 0
    assert sorted(from_warc.table("cells").query("captured").cell_id) == ["alcohol-A1", "alcohol-B2", "drug-C3"]
    cols = ["cell_id", "position", "types", "title", "year", "annotation", "href"]
    pd.testing.assert_frame_equal(from_warc.table("entries")[cols], from_raw.table("entries")[cols])
    assert {c["file"] for c in from_warc.report["captures"]} == {r.name for r in records}


def test_an_uncompressed_warc_from_another_crawler_is_read(tmp_path):
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    pages = [
        (
            "https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/B3.htm",
            "text/html; charset=utf-8",
            cell_html("drug-B3").encode(),
            "200 OK",
        ),
        ("https://findings.org.uk/style.css", "text/css", b"body{}", "200 OK"),
        ("https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/B4.htm", "text/html", b"gone", "404 Not Found"),
    ]
    for url, ctype, body, status in pages:
        warc_response(writer, url, body, [("Content-Type", ctype)], status, "2023-05-06T07:08:09Z")
    data = buf.getvalue()
    assert data.startswith(b"WARC/") and is_warc(data) and not is_warc(gzip.compress(b"<html>"))
    records = list(warc_captures("other.warc", data))
    assert [(r.url, r.date) for r in records] == [(pages[0][0], "2023-05-06T07:08:09Z")]
    run = run_on(folder_of(tmp_path / "raw", {"other.warc": data}), tmp_path / "work")
    cells = run.table("cells").query("captured")
    assert cells.cell_id.tolist() == ["drug-B3"]


# -- fetched pages flow into the same tables as the shipped captures of them ---------------------------------


def test_fetched_html_gives_the_same_tables_as_the_shipped_captures(tmp_path):
    shipped = {"alcohol-E4": "alcohol-E4.html", "drug-E4": "drug-E4.html", "drug-E3": "drug-E3.html"}
    with FetchSite(cells=list(shipped), real_pages=True, documents={}) as site:
        # the analysis page a cell links to, fetched with --depth 1; the other linked pages are not on this site
        summary = fetch(site, tmp_path, depth=1)
        assert outcome(summary, NICE_PATH).kind == "fetched"
        assert {o.status for o in summary.failed} == {404}
    fetched = run_on(tmp_path / "raw", tmp_path / "w1")
    live = "https://findings.org.uk"
    manifest = "file,url,captured_at\n" + "".join(
        f"{file},{live}{cell_path(cell)},2024-01-01T00:00:00Z\n" for cell, file in shipped.items()
    )
    manifest += f"analysis-nice-2007.html,{live}{NICE_PATH},2024-01-01T00:00:00Z\n"
    direct = run_on(
        folder_of(
            tmp_path / "direct",
            {
                **{f: FIXTURES / "html" / f for f in shipped.values()},
                "analysis-nice-2007.html": FIXTURES / "html" / "analysis-nice-2007.html",
                "manifest.csv": manifest,
            },
        ),
        tmp_path / "w2",
    )
    drop = {"source_capture", "source_line", "sources", "source", "captured_at", "url", "file"}
    documents = set(direct.table("documents").document_id)
    assert len(documents) == 1
    for table in ("cells", "entries", "citations", "links", "documents", "sections"):
        a, b = fetched.table(table), direct.table(table)
        cols = [c for c in b.columns if c not in drop]

        def mine(t):
            return (t.cell_id.isin(shipped) if "cell_id" in t else False) | (
                t.document_id.isin(documents) if "document_id" in t else False
            )

        a, b = a[mine(a)][cols].reset_index(drop=True), b[mine(b)][cols].reset_index(drop=True)
        assert len(b) > 0
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)
    assert fetched.table("documents").title.tolist().count("Drug misuse in over 16s: psychosocial interventions") == 1


# -- command line, Makefile, progress ------------------------------------------------------------------------


def test_command_line_exit_status(tmp_path, site, capsys):
    args = [
        "fetch",
        "--raw",
        str(tmp_path / "raw"),
        "--interim",
        str(tmp_path / "interim"),
        "--base-url",
        site.url,
        "--contact",
        CONTACT,
        "--interval",
        "0",
        "-q",
    ]
    assert main(args) == 0
    assert "fetch: 5 fetched, 0 unchanged, 0 failed" in capsys.readouterr().out
    site.script(cell_path("drug-C3"), *[Reply(500)] * 5)
    assert main(args + ["--retries", "1", "--backoff", "0"]) == 1
    assert f"failed: {site.url}{cell_path('drug-C3')} — HTTP 500" in capsys.readouterr().out
    assert main(args + ["--concurrency", "50"]) == 2
    assert main(["fetch", "--raw", str(tmp_path / "raw"), "--base-url", "ftp://example.org", "--contact", CONTACT]) == 2
    env = os.environ.pop("FETCH_CONTACT", None)
    try:
        assert main(["fetch", "--raw", str(tmp_path / "raw"), "--base-url", site.url]) == 2
        assert "say who is crawling" in capsys.readouterr().err
    finally:
        if env is not None:
            os.environ["FETCH_CONTACT"] = env
    with pytest.raises(ConfigError):
        FetchConfig(contact=CONTACT, depth=3)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_all_is_offline_by_default_and_fetches_first_with_fetch_1(tmp_path):
    with FetchSite(cells=["alcohol-A1", "drug-C3"]) as site:
        dirs = [
            f"RAW={tmp_path / 'raw'}",
            f"INTERIM={tmp_path / 'interim'}",
            f"PROCESSED={tmp_path / 'processed'}",
            f"FETCH_ARGS=--base-url {site.url} --contact {CONTACT} --interval 0 -q",
        ]
        make = ["make", "--no-print-directory", "-s", "-o", ".venv/.installed", *dirs]
        (tmp_path / "raw").mkdir()
        folder_of(tmp_path / "raw", {"seed.html": FIXTURES / "html" / "drug-E4.html"})
        offline = subprocess.run([*make, "all"], cwd=ROOT, capture_output=True, text=True)
        assert offline.returncode == 0, offline.stderr
        assert site.requested(exclude_robots=False) == []
        online = subprocess.run([*make, "all", "FETCH=1"], cwd=ROOT, capture_output=True, text=True)
        assert online.returncode == 0, online.stderr
    assert "fetch: 4 fetched" in online.stdout
    cells = pd.read_parquet(tmp_path / "processed" / "cells.parquet")
    assert sorted(cells[cells.captured].cell_id) == ["alcohol-A1", "drug-C3", "drug-E4"]


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise():
    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    for tty in (True, False):
        stream = Stream(tty)
        progress = Progress(stream)
        progress.start("cells", 2)
        progress.advance("fetched", "http://h/a", "fetch_a.html")
        progress.advance("failed", "http://h/b", "HTTP 500")
        progress.close()
        out = stream.getvalue()
        if tty:
            assert "2/2" in out and "page" in out and "failed http://h/b: HTTP 500" in out
        else:
            assert out.splitlines() == [
                "fetch cells [1/2] fetched http://h/a (fetch_a.html)",
                "fetch cells [2/2] failed http://h/b (HTTP 500)",
            ]
    quiet = Stream(False)
    Progress(quiet, quiet=True).advance("fetched", "u")
    assert quiet.getvalue() == ""
