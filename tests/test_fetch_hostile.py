"""The fetch stage against a hostile site (tests/fetchsite.py, on 127.0.0.1 only): redirects that
lead off-site, answers trickled a byte at a time, Ctrl-C mid-request, a network that is not there,
header values and robots.txt files meant to break the crawler, and a WARC across an interruption.
Every test is bounded by short deadlines and timeouts in its config."""

from __future__ import annotations

import csv
import gzip
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, run_on
from fetchsite import FetchSite, Reply, cell_html, cell_path, overview_path
from test_fetch import CONTACT, Sleeps, captures, config, fetch, manifest_rows, outcome

from pipeline.cli import main
from pipeline.extract.warc import warc_captures
from pipeline.fetch.client import refusal
from pipeline.fetch.config import ConfigError, FetchConfig
from pipeline.fetch.crawl import Crawler, crawl

CELLS = ["alcohol-A1", "alcohol-B2", "drug-C3"]
# Each must be far below the trickle a test's server keeps up (fetchsite.TRICKLE_MAX_SECONDS).
DEADLINE = 0.8
SLOW_BYTE = 0.1  # seconds between two bytes of a trickled answer: each read is quick, the answer never ends


@pytest.fixture
def site():
    with FetchSite(cells=CELLS) as s:
        yield s


@pytest.fixture
def elsewhere():
    """Another site on this machine: another port of the allowed host is another origin."""
    with FetchSite(cells=[]) as s:
        yield s


def port_of(site: FetchSite) -> int:
    return int(site.url.rsplit(":", 1)[1])


# -- 14: redirects go only where the HTTP client would really connect --------------------------------------


def test_a_redirect_is_checked_where_requests_would_connect_scheme_host_and_port(tmp_path, site, elsewhere):
    here, there = port_of(site), port_of(elsewhere)
    backslash, other_port, other_host = cell_path("alcohol-A1"), cell_path("alcohol-B2"), cell_path("drug-C3")
    tricks = {
        # urlsplit reads host 127.0.0.1 (after the @); requests connects to what comes before the backslash
        backslash: f"http://127.0.0.1:{there}\\@127.0.0.1:{here}/x",
        other_port: f"http://127.0.0.1:{there}/moved",
        other_host: f"http://127.0.0.2:{there}\\@127.0.0.1:{here}/x",
    }
    for path, location in tricks.items():
        site.script(path, Reply(302, headers={"Location": location}))
    summary = fetch(site, tmp_path, retries=0)
    wheres = {backslash: f"127.0.0.1:{there}", other_port: f"127.0.0.1:{there}", other_host: f"127.0.0.2:{there}"}
    for path, where in wheres.items():
        o = outcome(summary, path)
        assert (o.kind, o.detail) == (
            "failed",
            f"redirect to {tricks[path]} would connect to http://{where}, which is not on the allow-list; "
            f"pass --allow-host http://{where} if it is meant to be fetched (not followed)",
        )
    assert elsewhere.requested(exclude_robots=False) == []
    assert sorted(r["url"].removeprefix(site.url) for r in manifest_rows(tmp_path / "raw")) == [
        overview_path("alcohol"),
        overview_path("drug"),
    ]
    assert summary.exit_status == 1

    # the allow-list names an origin exactly: allowing that port lets the redirect through
    elsewhere.set_page("/moved", cell_html("alcohol-B2"))
    site.script(other_port, Reply(302, headers={"Location": tricks[other_port]}))
    again = fetch(site, tmp_path / "allowed", retries=0, allow_hosts=(f"127.0.0.1:{there}",))
    assert outcome(again, other_port).kind == "fetched"
    assert elsewhere.requested() == ["/moved"]
    row = next(r for r in manifest_rows(tmp_path / "allowed" / "raw") if r["url"].endswith(other_port))
    assert row["final_url"] == f"{elsewhere.url}/moved"


def test_the_allow_list_is_a_set_of_origins():
    settings = dict(base_url="http://site.test:8080", contact=CONTACT)
    entries = ("Mirror.test", "other.test:81", "https://secure.test", "http://plain.test")
    assert FetchConfig(**settings, allow_hosts=entries).allowed_origins == {
        ("http", "site.test", 8080),
        ("http", "mirror.test", 8080),
        ("http", "other.test", 81),
        ("https", "secure.test", 443),
        ("http", "plain.test", 80),
    }
    for entry in ("user@other.test", "other.test/path", "ftp://other.test", "other.test:port", "a\\@b"):
        with pytest.raises(ConfigError, match="--allow-host takes host, host:port or http"):
            FetchConfig(**settings, allow_hosts=(entry,))
    ipv6 = FetchConfig(base_url="http://[::1]:8080", contact=CONTACT)
    assert (refusal("http://[::1]:8080/x", ipv6), refusal("http://[::1]:8081/x", ipv6)) == (
        "",
        "http://[::1]:8081/x would connect to http://[::1]:8081, which is not on the allow-list; "
        "pass --allow-host http://[::1]:8081 if it is meant to be fetched",
    )
    with pytest.raises(ConfigError, match="--base-url must name its host plainly"):
        FetchConfig(base_url="http://127.0.0.2:1\\@127.0.0.1:2", contact=CONTACT)


# -- 15: a whole-request deadline, and Ctrl-C ------------------------------------------------------------------


def test_answers_trickled_a_byte_at_a_time_end_at_the_deadline(tmp_path, site):
    headers, body = cell_path("alcohol-A1"), cell_path("alcohol-B2")
    page = cell_html("alcohol-A1").encode()
    site.script(headers, Reply(200, page, {"Content-Type": "text/html"}, trickle=SLOW_BYTE))
    site.script(body, Reply(200, page, {"Content-Type": "text/html"}, trickle=SLOW_BYTE, trickle_from="body"))
    started = time.monotonic()
    summary = fetch(site, tmp_path, retries=0, read_timeout=2.0, deadline=DEADLINE, concurrency=2)
    assert time.monotonic() - started < 4 * DEADLINE
    why = f"no complete answer within the {DEADLINE:g}-s deadline (the server sends too slowly); "
    why += "run again later, or raise --deadline"
    assert outcome(summary, headers).detail == why
    assert outcome(summary, body).detail == f"body not read: {why}"
    assert [outcome(summary, p).kind for p in (headers, body)] == ["failed", "failed"]
    assert outcome(summary, cell_path("drug-C3")).kind == "fetched"
    assert f"failed: {site.url}{headers} — {why}" in summary.text()
    stored = {r["url"].removeprefix(site.url) for r in manifest_rows(tmp_path / "raw")}
    assert stored == {overview_path("alcohol"), overview_path("drug"), cell_path("drug-C3")}


def test_ctrl_c_ends_a_slow_request_and_a_retry_after_wait_within_a_second_journal_intact(tmp_path, site):
    slow, waiting = cell_path("alcohol-A1"), cell_path("alcohol-B2")
    page = cell_html("alcohol-A1").encode()
    site.script(slow, Reply(200, page, {"Content-Type": "text/html"}, trickle=SLOW_BYTE, trickle_from="body"))
    site.script(waiting, *[Reply(429, headers={"Retry-After": "30"})] * 3)
    raw, interim = tmp_path / "raw", tmp_path / "interim"
    command = [sys.executable, "-m", "pipeline", "fetch", "-q", "--raw", str(raw), "--interim", str(interim)]
    command += ["--base-url", site.url, "--contact", CONTACT, "--interval", "0", "--concurrency", "2"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = time.monotonic() + 8
        while time.monotonic() < ready and not {slow, waiting} <= set(site.requested()):
            time.sleep(0.02)
        assert {slow, waiting} <= set(site.requested()), "the fetch never reached the slow pages"
        time.sleep(0.3)  # both are now waiting: one on its trickle, one on Retry-After
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            _, err = proc.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:
            pytest.fail("Ctrl-C did not end the fetch within a second")
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and took < 1.0
    assert "fetch interrupted: run it again to resume where it stopped" in err
    journal = (interim / "fetch" / "journal.tsv").read_text("utf-8").splitlines()
    overviews = [site.url + overview_path(m) for m in ("alcohol", "drug")]
    assert journal[0] == f"# base\t{site.url}"
    assert sorted(journal[1:]) == [f"{url}\tfetched" for url in overviews]
    assert sorted(r["url"] for r in manifest_rows(raw)) == overviews

    resumed = crawl(config(site, tmp_path, raw=raw, state=interim / "fetch"), sleep=Sleeps())
    assert (resumed.count("resumed"), resumed.count("fetched")) == (2, 3)


# -- 16: a network that is not there -------------------------------------------------------------------------


def test_a_total_outage_fails_naming_robots_txt_and_leaves_no_manifest(tmp_path, capsys):
    gone = FetchSite(cells=CELLS).start()
    gone.stop()  # nothing listens on its port now
    summary = fetch(gone, tmp_path, retries=0)
    why = f"robots.txt of {gone.url} could not be read ("
    assert summary.exit_status == 1 and summary.count("skipped") == 0
    assert summary.count("failed") == len(summary.outcomes) == 2 + 50
    assert all(o.detail.startswith(f"not fetched: {why}ConnectionError: ") for o in summary.outcomes)
    note = next(n for n in summary.notes if n.startswith(why))
    assert note.endswith(
        f"): nothing was fetched from {gone.url}; check the network connection and --base-url, then run again"
    )
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == []

    args = ["fetch", "-q", "--raw", str(tmp_path / "raw"), "--interim", str(tmp_path / "interim")]
    args += ["--base-url", gone.url, "--contact", CONTACT, "--interval", "0", "--retries", "0"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("fetch: 0 fetched, 0 unchanged, 52 failed\n") and "skipped" not in out
    assert f"failed: {gone.url}{overview_path('alcohol')} — not fetched: {why}" in out


def test_raw_files_get_the_mode_the_umask_gives_new_files(tmp_path, site):
    old = os.umask(0o022)
    try:
        fetch(site, tmp_path)
    finally:
        os.umask(old)
    raw = tmp_path / "raw"
    assert {f: oct((raw / f).stat().st_mode & 0o777) for f in ["manifest.csv", *captures(raw)]} == {
        f: "0o644" for f in ["manifest.csv", *captures(raw)]
    }


# -- 17: hostile header values and robots.txt files ------------------------------------------------------


def test_a_charset_that_is_no_text_encoding_is_ignored_in_this_run_and_the_next(tmp_path, site):
    path = cell_path("alcohol-A1")
    site.set_page(path, cell_html("alcohol-A1", title="A study sent as base64"), "text/html; charset=base64")
    first = fetch(site, tmp_path)
    assert outcome(first, path).kind == "fetched" and first.exit_status == 0
    raw = tmp_path / "raw"
    row = next(r for r in manifest_rows(raw) if r["url"].endswith(path))
    assert row["charset"] == ""
    # a manifest written by the version that crashed holds the bad name: it is read past too
    rows = manifest_rows(raw)
    for r in rows:
        r["charset"] = "base64" if r["url"].endswith(path) else r["charset"]
    with open(raw / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    second = fetch(site, tmp_path)
    assert (second.count("unchanged"), second.exit_status) == (5, 0)
    entries = run_on(raw, tmp_path / "work").table("entries")
    assert entries[entries.cell_id == "alcohol-A1"].title.tolist() == ["A study sent as base64"]


def test_a_robots_txt_over_500_kib_is_read_up_to_500_kib(tmp_path):
    line = "# " + "x" * 77 + "\n"
    head = "User-agent: *\nDisallow: /PHP/dl.php?file=Matrix/Drugs/\n"
    text = head + line * (520 * 1024 // len(line)) + "Disallow: /PHP/dl.php?file=Matrix/Alcohol/A1.htm\n"
    with FetchSite(cells=CELLS, robots=text) as site:
        summary = fetch(site, tmp_path, max_bytes=100_000)
    assert len(text) > 520 * 1024
    kinds = {c: outcome(summary, cell_path(c)).kind for c in CELLS}
    assert kinds == {"alcohol-A1": "fetched", "alcohol-B2": "fetched", "drug-C3": "skipped"}
    assert f"robots.txt of {site.url} is longer than 500 KiB: its first 500 KiB were read, as RFC 9309 allows" in (
        summary.notes
    )


def test_robots_txt_wildcards_are_understood(tmp_path):
    with FetchSite(cells=CELLS, robots="User-agent: *\nDisallow: /*?file=Matrix/Drugs/\n") as site:
        summary = fetch(site, tmp_path)
        requested = site.requested()
    assert [outcome(summary, cell_path(c)).kind for c in CELLS] == ["fetched", "fetched", "skipped"]
    assert cell_path("drug-C3") not in requested and overview_path("drug") in requested


# -- 5: --warc across an interruption ----------------------------------------------------------------------


class InterruptAt:
    """A clock for captured_at that presses Ctrl-C when the nth page is about to be stored."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return "2026-01-02T03:04:05Z"


def test_a_warc_of_an_interrupted_and_resumed_fetch_holds_the_pages_of_both_runs(tmp_path, site):
    """The WARC an earlier crawl left stays as it was until the resumed run finishes, then is replaced
    whole, keeping its mode."""
    warc = tmp_path / "out" / "crawl.warc.gz"
    warc.parent.mkdir()
    warc.write_bytes(b"an earlier crawl")
    os.chmod(warc, 0o640)
    first = Crawler(config(site, tmp_path, warc=warc, concurrency=1), sleep=Sleeps(), now=InterruptAt(3))
    with pytest.raises(KeyboardInterrupt):
        first.run()
    part = warc.with_name(".crawl.warc.gz.part")
    assert warc.read_bytes() == b"an earlier crawl" and len(list(warc_captures("p", part.read_bytes()))) == 2
    cut_off = b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://x/\r\nContent-Length: 900\r\n\r\nHTTP/1"
    with open(part, "ab") as fh:  # a record cut off by a kill
        fh.write(gzip.compress(cut_off)[:60])

    summary = crawl(config(site, tmp_path, warc=warc, concurrency=1), sleep=Sleeps())
    assert (summary.count("resumed"), summary.count("fetched")) == (2, 3)
    records = list(warc_captures("crawl.warc.gz", warc.read_bytes()))
    everything = [overview_path("alcohol"), overview_path("drug")] + [cell_path(c) for c in CELLS]
    assert sorted(r.url.removeprefix(site.url) for r in records) == sorted(everything)
    assert not part.exists() and not [n for n in summary.notes if "lacks" in n]
    assert oct(warc.stat().st_mode & 0o777) == "0o640"


def test_a_resumed_fetch_warns_of_pages_missing_from_its_warc(tmp_path, site):
    first = Crawler(config(site, tmp_path, concurrency=1), sleep=Sleeps(), now=InterruptAt(3))
    with pytest.raises(KeyboardInterrupt):
        first.run()
    warc = tmp_path / "out" / "crawl.warc"
    summary = crawl(config(site, tmp_path, warc=warc, concurrency=1), sleep=Sleeps())
    assert len(list(warc_captures("crawl.warc", warc.read_bytes()))) == 3
    assert (
        f"warning: {warc} lacks 2 page(s) fetched before the interruption (that run wrote no WARC, or wrote "
        f"another file); their captures are in {tmp_path / 'raw'} and its manifest.csv"
    ) in summary.notes
