"""Issue 15: the same tables as a DuckDB file and as a SQLite build browsed in Datasette (headless Chromium)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from lxml import html
from test_analyst import CHROMIUM_FLAGS

from pipeline.export import duckdb as duckdb_export
from pipeline.export import serve, sqlite

STARTUP = 60  # seconds Datasette may take to answer its first request


@pytest.fixture(scope="module")
def exported(seeds, tmp_path_factory):
    processed = tmp_path_factory.mktemp("exported") / "processed"
    shutil.copytree(seeds.processed, processed)
    duckdb_export.build(processed)
    sqlite.build(processed)
    return processed


def test_duckdb_has_keys_comments_and_views(exported, seeds):
    con = duckdb.connect(str(exported / "findings.duckdb"), read_only=True)
    keys = con.sql(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
        "WHERE constraint_type = 'PRIMARY KEY' ORDER BY table_name"
    ).fetchall()
    assert dict(keys)["matrix_axes"] == ["matrix", "axis", "code"] and dict(keys)["works"] == ["work_id"]
    comment = con.sql(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'cells' AND column_name = 'captured'"
    ).fetchall()
    assert comment == [
        ("True when a capture of the cell was published; the other cells of the 50 have labels and URL only.",)
    ]
    both = con.sql("SELECT title FROM works_in_both_matrices").fetchall()
    assert len(both) == 8 and ("Determining who needs residential care",) in both
    placed = con.sql("SELECT matrix, row_code, count(*) FROM entries_in_cells GROUP BY ALL ORDER BY ALL").fetchall()
    assert placed == [("alcohol", "4", 16), ("drug", "3", 22), ("drug", "4", 15)]
    con.close()
    writable = duckdb.connect(str(exported / "findings.duckdb"))
    with pytest.raises(duckdb.ConstraintException, match="foreign key"):
        writable.execute("INSERT INTO sections VALUES ('s1', 'drug-Z9', NULL, 'bite', [], 1, 'text', false)")
    writable.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def datasette(exported):
    port = _free_port()
    server = subprocess.Popen(
        serve.command(exported, "127.0.0.1", port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _dom(url: str, profile: Path) -> html.HtmlElement:
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is needed for this test: `make browser` installs it"
    done = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return html.fromstring(done.stdout)


def test_searching_a_word_finds_its_entry(datasette, tmp_path):
    page = _dom(f"{datasette}/findings/entries?_search=pharmacy", tmp_path / "p")
    titles = [td.text_content().strip() for td in page.xpath("//td[contains(@class, 'col-title')]")]
    assert titles == ["Pharmacy-based services for drug users"]
    facets = {el.text_content().split()[0] for el in page.xpath("//*[contains(@class, 'facet-info')]//p")}
    assert {"matrix", "column_code", "row_code"} <= facets


def test_a_cell_lists_its_entries_in_order(datasette, seeds, tmp_path):
    page = _dom(f"{datasette}/findings/entries?cell_id=drug-E4", tmp_path / "p")
    titles = [td.text_content().strip() for td in page.xpath("//td[contains(@class, 'col-title')]")]
    expected = seeds.table("entries").query("cell_id == 'drug-E4'").sort_values("position").title.tolist()
    assert titles == expected and len(titles) == 15
