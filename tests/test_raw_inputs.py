"""Issue 13's hostile raw inputs: names that collide, HTML libxml2 would cut short, damaged WARC
files, bad manifests, entries of raw/ that are no capture, and limits applied while reading. Each
ends in a message naming the entry, the rest published."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import ROOT, folder_of, run_on, warc_response
from test_bad_inputs import CELL_HTML
from test_structure_units import CELL

from pipeline.extract.sources import read_manifest
from pipeline.runtime.records import SUFFIX, read_record

TITLES = ["Keeping children safe", "Does training change practice?", "Protecting families guidance"]
UNNAMED = CELL.replace("Drug Treatment Matrix cell B5 Matrix cell logo\n", "")  # only its URL says which cell


def cell(code: str) -> str:
    return CELL.replace("Drug Treatment Matrix cell B5", f"Drug Treatment Matrix cell {code}")


def cell_html(code: str) -> str:
    return CELL_HTML.replace("Drug Treatment Matrix cell B5", f"Drug Treatment Matrix cell {code}")


def url(code: str) -> str:
    return f"https://findings.org.uk/PHP/dl.php?file=Matrix/Drugs/{code}.htm"


def warc(pages: list[tuple[str, bytes]], gz: bool, encoding: str | None = None) -> bytes:
    """A WARC file of HTML responses (url, body), every body sent with Content-Encoding `encoding`."""
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for address, body in pages:
        headers = [("Content-Type", "text/html; charset=utf-8")] + (
            [("Content-Encoding", encoding)] if encoding else []
        )
        warc_response(writer, address, body, headers, "200 OK", "2024-05-06T07:08:09Z")
    return buf.getvalue()


def report_of(run) -> dict[str, dict]:
    return {c["file"]: c for c in run.report["captures"]}


def errors_of(run) -> dict[str, list[str]]:
    return {q["file"]: q["errors"] for q in run.report["quarantined"]}


def cells_of(run) -> dict[str, list[str]]:
    cells = run.table("cells")
    return {row.cell_id: list(row.sources) for row in cells.itertuples() if row.captured}


# -- 1. names map to interim files one-to-one ------------------------------------------------------------------


def test_names_that_differ_only_in_unsafe_characters_are_all_published(tmp_path):
    archive = warc([(url("B2"), cell_html("B2").encode()), (url("B3"), cell_html("B3").encode())], gz=True)
    raw = folder_of(
        tmp_path / "raw",
        {
            "cell a.txt": cell("A1"),
            "cell_a.txt": cell("A2"),
            "café-é.txt": cell("A3"),
            "caf_-_.txt": cell("A4"),
            "x.warc.gz": archive,
            "x.warc.gz_0002": cell("B1"),
        },
    )
    run = run_on(raw, tmp_path)
    assert run.status == 0
    assert cells_of(run) == {
        "drug-A1": ["cell a.txt"],
        "drug-A2": ["cell_a.txt"],
        "drug-A3": ["café-é.txt"],
        "drug-A4": ["caf_-_.txt"],
        "drug-B1": ["x.warc.gz_0002"],
        "drug-B2": ["x.warc.gz#0001"],
        "drug-B3": ["x.warc.gz#0002"],
    }
    # one file per capture, the index, the digests, the chain's stamp
    assert len(os.listdir(run.interim / "extract")) == 7 + 3


@pytest.mark.parametrize(
    "name, expected",
    [
        ("cell_a.txt", "cell_a.txt"),
        ("cell a.txt", "cell_a.txt~9e36759840d41441"),
        ("x.warc.gz#0002", "x.warc.gz_0002~d96c0ea57c2dc948"),
        ("..", "capture~5ec1f7e700f37c3d"),
        ("a" * 255, "a" * 200 + "~b0f3323e7a3cad8a"),
    ],
)
def test_safe_names_keep_safe_names_and_tag_every_other(name, expected):
    from pipeline.runtime.atomic import safe_name

    assert safe_name(name) == expected


# -- 4. HTML read to its end --------------------------------------------------------------------------------------


def test_html_past_libxml2_default_limits_is_read_whole(tmp_path):
    data_uri = '<p><img src="data:image/png;base64,' + "A" * 10_500_000 + '"></p>'
    raw = folder_of(
        tmp_path / "raw",
        {
            "data_uri.html": cell_html("C1").replace("<body>", "<body>" + data_uri),
            "nested.html": cell_html("C2").replace("<body>", "<body>" + "<div>" * 300 + "x" + "</div>" * 300),
            "too_deep.html": cell_html("C3").replace("<body>", "<body>" + "<div>" * 3000),
            "long_comment.html": "<!-- "
            + "build note " * 500
            + "-->\n"
            + cell_html("C4")
            .replace("<body>", "<body><script>var s = '<p>K Fake entry (2001). Scripted.</p>';</script>")
            .replace("<body>", "<body><!-- K Commented entry (2002). Hidden. -->"),
        },
    )
    run = run_on(raw, tmp_path)
    assert run.status == 1
    assert cells_of(run) == {
        "drug-C1": ["data_uri.html"],
        "drug-C2": ["nested.html"],
        "drug-C4": ["long_comment.html"],
    }
    entries = run.table("entries")
    assert {cell_id: list(group.title) for cell_id, group in entries.groupby("cell_id")} == dict.fromkeys(
        ["drug-C1", "drug-C2", "drug-C4"], TITLES
    )
    assert report_of(run)["long_comment.html"]["format"] == "html"
    assert errors_of(run) == {
        "too_deep.html": [
            "extract: HTML nested more than 2048 levels deep at line 1: the rest of the page cannot be read"
        ]
    }


# -- 5. damaged WARC files ----------------------------------------------------------------------------------------


def test_a_warc_cut_short_keeps_the_records_before_and_names_the_damage(tmp_path):
    pages = [(url(code), cell_html(code).encode()) for code in ("D1", "D2", "D3")]
    whole = warc(pages, gz=True)
    cut = whole[: len(whole) - 200]  # inside the third record
    plain = warc([(url(code), cell_html(code).encode()) for code in ("E1", "E2", "E3")], gz=False)
    first = plain.index(b"Content-Length: ", plain.index(b"WARC-Target-URI: " + url("E2").encode()))
    declared = plain[first : plain.index(b"\r\n", first)]
    too_long = plain[:first] + b"Content-Length: 99999" + plain[first + len(declared) :]  # swallows the third
    raw = folder_of(tmp_path / "raw", {"cut.warc.gz": cut, "long.warc": too_long})
    run = run_on(raw, tmp_path)
    assert run.status == 1
    assert cells_of(run) == {
        "drug-D1": ["cut.warc.gz#0001"],
        "drug-D2": ["cut.warc.gz#0002"],
        "drug-E1": ["long.warc#0001"],
    }
    missing = 99999 - (len(too_long) - too_long.index(b"\r\n\r\n", first) - 4)
    assert errors_of(run) == {
        "cut.warc.gz": ["extract: the file is cut short (it ends inside a gzip member); read up to there: 2 page(s)"],
        "long.warc#0002": [
            f"extract: a record ends {missing:,} bytes short of the length its Content-Length declares: the file is "
            "cut short, or the length is wrong and the records after it were read as its data"
        ],
    }


def test_a_record_shorter_than_its_content_length_says_is_named_and_the_next_records_kept():
    from pipeline.extract.warc import warc_captures

    plain = warc([(url(code), cell_html(code).encode()) for code in ("E1", "E2", "E3")], gz=False)
    at = plain.index(b"Content-Length: ", plain.index(b"WARC-Target-URI: " + url("E1").encode()))
    end = plain.index(b"\r\n", at)
    short = plain[:at] + f"Content-Length: {int(plain[at + 16 : end]) - 30}".encode() + plain[end:]
    found = [(type(item).__name__, item.name) for item in warc_captures("f.warc", short)]
    assert found == [("WarcProblem", "f.warc#0001"), ("WarcCapture", "f.warc#0002"), ("WarcCapture", "f.warc#0003")]
    assert next(warc_captures("f.warc", short)).message == (
        "a record's Content-Length does not match its data (what follows is not the next record): "
        "records after it may be lost"
    )


# -- 8. bad manifests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "File,URL\nfree.txt,{u}\n",
        "file, url\nfree.txt, {u}\n",
        "file;url;captured_at\nfree.txt;{u};2024-01-01T00:00:00Z\n",
        "\ufefffile\turl\nfree.txt\t{u}\n",
    ],
)
def test_manifest_headers_as_spreadsheets_write_them_are_read(tmp_path, text):
    (tmp_path / "manifest.csv").write_text(text.format(u=url("E1")), encoding="utf-8")
    assert {name: row["url"] for name, row in read_manifest(tmp_path).items()} == {"free.txt": url("E1")}


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_manifests_in_other_encodings_are_read(tmp_path, encoding):
    (tmp_path / "manifest.csv").write_bytes(f"file,url\ncafé.txt,{url('E1')}\n".encode(encoding))
    assert {name: row["url"] for name, row in read_manifest(tmp_path).items()} == {"café.txt": url("E1")}


def test_manifest_rows_that_cannot_be_trusted_are_named(tmp_path):
    manifest = (
        f"file;url\nsure.txt;{url('E2')}\ndoubt.txt;{url('E3')}\n../outside.txt;{url('E4')}\n"
        f'huge.txt;"{"x" * 20_000}"\ndoubt.txt;{url("E5")}\nsub/inner.txt;{url("A5")}\n'
    )
    raw = folder_of(tmp_path / "raw", {"sure.txt": UNNAMED, "doubt.txt": UNNAMED, "manifest.csv": manifest})
    run = run_on(raw, tmp_path)
    assert run.status == 1
    assert cells_of(run) == {"drug-E2": ["sure.txt"]}
    assert errors_of(run) == {
        "doubt.txt": [f"extract: manifest.csv lines 3, 6 give it different URLs ({url('E3')}; {url('E5')})"],
        "manifest.csv": [
            "extract: manifest.csv line 5: a field of 20,000 characters, over 8,192",
            "extract: manifest.csv line 4: '../outside.txt' is not the name of a file in the capture folder",
            "extract: manifest.csv line 7: 'sub/inner.txt' is not the name of a file in the capture folder",
        ],
    }


# -- 9 and 10. entries of raw/ that are no capture ---------------------------------------------------------------


def test_entries_that_are_no_capture_are_quarantined_alone(tmp_path, capsys):
    raw = folder_of(
        tmp_path / "raw",
        {
            "good.txt": cell("A1"),
            "L" * 251 + ".txt": cell("A2"),
            "evil\nquarantined: forged.txt": cell("A3"),
        },
    )
    (raw / "passwd.txt").symlink_to("/etc/passwd")
    (raw / "environ.txt").symlink_to("/proc/self/environ")
    (raw / "mem.txt").symlink_to("/proc/self/mem")
    (raw / "dangling.txt").symlink_to("nowhere.txt")
    (raw / "loop_a").symlink_to("loop_b")
    (raw / "loop_b").symlink_to("loop_a")
    (raw / "link.txt").symlink_to("good.txt")  # a link that stays inside raw/ is read
    (raw / "sub").mkdir()
    os.mkfifo(raw / "fifo.txt")
    (raw / os.fsdecode(b"caf\xe9.txt")).write_text(cell("A4"), encoding="utf-8")
    capsys.readouterr()
    run = run_on(raw, tmp_path)
    assert run.status == 1
    assert cells_of(run) == {
        "drug-A1": ["good.txt"],
        "drug-A2": ["L" * 251 + ".txt"],
        "drug-A3": ["evil\nquarantined: forged.txt"],
    }
    assert report_of(run)["link.txt"]["status"] == "identical"  # a link inside raw/ to another capture: the same bytes
    assert errors_of(run) == {
        "caf\\xe9.txt": ["extract: its file name is not valid UTF-8"],
        "dangling.txt": ["extract: a symbolic link to nowhere.txt, which does not exist"],
        "environ.txt": ["extract: a symbolic link to /proc/self/environ, outside the capture folder"],
        "fifo.txt": ["extract: a FIFO, not a capture"],
        "loop_a": ["extract: a symbolic link that leads back to itself"],
        "loop_b": ["extract: a symbolic link that leads back to itself"],
        "mem.txt": ["extract: a symbolic link to /proc/self/mem, outside the capture folder"],
        "passwd.txt": ["extract: a symbolic link to /etc/passwd, outside the capture folder"],
        "sub": ["extract: a folder, not a capture"],
    }
    leaked = [p.name for p in (run.interim / "extract").glob(f"[!.]*{SUFFIX}") if b"root:" in read_record(p)]
    assert leaked == []
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" [")[0] for line in err if line.startswith("quarantined:")] == [
        "quarantined: caf\\xe9.txt",
        "quarantined: dangling.txt",
        "quarantined: environ.txt",
        "quarantined: fifo.txt",
        "quarantined: loop_a",
        "quarantined: loop_b",
        "quarantined: mem.txt",
        "quarantined: passwd.txt",
        "quarantined: sub",
    ]
    assert (
        "quarantined: sub [extract] a folder, not a capture — captures in sub-folders are not read: move them into "
        "the capture folder"
    ) in err


# root reads any file whatever its mode: the run gives up the capabilities that let it
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


def test_an_unreadable_file_is_quarantined_alone(tmp_path):
    raw = folder_of(tmp_path / "raw", {"good.txt": cell("B1"), "locked.txt": cell("B2")})
    os.chmod(raw / "locked.txt", 0)
    args = ["all", "-q", "--raw", str(raw), "--interim", str(tmp_path / "i"), "--processed", str(tmp_path / "p")]
    done = subprocess.run([*UNPRIVILEGED, sys.executable, "-m", "pipeline", *args], cwd=ROOT, timeout=120, check=False)
    report = json.loads((tmp_path / "p" / "report.json").read_text(encoding="utf-8"))
    assert done.returncode == 1
    assert [(c["file"], c["status"], c["cell_id"]) for c in report["captures"]] == [
        ("good.txt", "published", "drug-B1"),
        ("locked.txt", "quarantined", None),
    ]
    assert report["quarantined"] == [{"file": "locked.txt", "errors": ["extract: cannot be read (Permission denied)"]}]


# -- 11. limits while reading ------------------------------------------------------------------------------------

BOMB_MIB = 100
MAX_BYTES = 2_000_000
PEAK = """
import resource, sys
from pipeline.cli import main
main(sys.argv[1:])
print(max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) // 1024)
"""


def _extract_peak_mib(raw: Path, interim: Path, *extra: str) -> int:
    """Peak resident MiB of the extract stage in a fresh process."""
    args = ["extract", "-q", "--jobs", "1", "--raw", str(raw), "--interim", str(interim), *extra]
    out = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    return int(out.stdout.split()[-1])


def test_limits_hold_while_reading(tmp_path):
    from pipeline.model import Capture, from_json

    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip
    bomb = squeeze.compress(b"<html><body><p>") + b"".join(squeeze.compress(bytes(1 << 20)) for _ in range(BOMB_MIB))
    bomb += squeeze.compress(b"</p></body></html>") + squeeze.flush()
    pages = [(url("C5"), gzip.compress(cell_html("C5").encode())), (url("D5"), bomb)]
    lines, headings = ("l\n" * 400_000).encode(), ("# h\n" * 200_000).encode()
    raw = folder_of(
        tmp_path / "raw",
        {"bomb.warc.gz": warc(pages, gz=True, encoding="gzip"), "lines.txt": lines, "headings.md": headings},
    )
    (raw / "good.txt").write_text(cell("E5"), encoding="utf-8")
    peak = _extract_peak_mib(raw, tmp_path / "interim", "--max-bytes", str(MAX_BYTES))
    base = _extract_peak_mib(folder_of(tmp_path / "raw0", {"good.txt": cell("E5")}), tmp_path / "interim0")
    assert peak - base < 60  # the bomb alone inflates to 100 MB; 400,000 blocks took hundreds of MB
    written = sorted((tmp_path / "interim" / "extract").glob(f"[!.]*{SUFFIX}"))  # not the index and caches
    captures = [from_json(Capture, read_record(path)) for path in written]
    assert {c.file: (c.errors, len(c.blocks) > 0) for c in captures} == {
        "bomb.warc.gz#0001": ([], True),
        "bomb.warc.gz#0002": (
            [
                "extract: the page's body is over the limit: capture is more than 2,000,000 bytes, over the limit of "
                "2,000,000: raise --max-bytes if it is genuine"
            ],
            False,
        ),
        "good.txt": ([], True),
        "headings.md": (
            ["extract: capture has more than 50,000 blocks, over the limit of 50,000: not a page of the site"],
            False,
        ),
        "lines.txt": (
            ["extract: capture has more than 50,000 blocks, over the limit of 50,000: not a page of the site"],
            False,
        ),
    }


@pytest.mark.parametrize(
    ("grown_to", "expected"),
    [
        (2_000, b"x" * 2_000),  # grew under the limit: read whole, growth included
        (5_000, "capture is more than 4,096 bytes, over the limit of 4,096: raise --max-bytes if it is genuine"),
    ],
)
def test_a_file_that_grows_after_its_size_is_read_is_still_cut_at_the_limit(tmp_path, monkeypatch, grown_to, expected):
    from pipeline.extract import entry
    from pipeline.extract.limits import Unreadable

    path = tmp_path / "growing.txt"
    path.write_bytes(b"x" * 1_000)
    real_fstat = os.fstat

    def fstat_then_grow(fd):  # the size is taken, then the file grows before it is read
        info = real_fstat(fd)
        path.write_bytes(b"x" * grown_to)
        return info

    monkeypatch.setattr(entry.os, "fstat", fstat_then_grow)
    if isinstance(expected, bytes):
        assert entry.read_bounded(path, 4_096) == expected
    else:
        with pytest.raises(Unreadable) as caught:
            entry.read_bounded(path, 4_096)
        assert str(caught.value) == expected
