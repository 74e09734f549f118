"""raw/ stays immutable: each fetched page is stored once under a content-addressed name, written to
a temporary name and renamed into place, and raw/manifest.csv gains one row per new capture (it is
created with the first one: a run that stored nothing leaves no manifest behind). Files are created
with the mode the umask gives any new file, not mkstemp's owner-only 0600.

The journal (in the state folder) lists the pages an unfinished run already dealt with, so a run
that was interrupted resumes where it stopped; a run that finishes removes it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.runtime.atomic import replacing

MANIFEST = "manifest.csv"
COLUMNS = ("file", "url", "final_url", "status", "captured_at", "etag", "last_modified", "sha256", "bytes", "charset")
PREFIX = "fetch_"
TEMP_SUFFIX = ".part"


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def capture_name(body: bytes) -> str:
    """Safe, content-addressed: the same bytes always get the same name, other bytes another."""
    return f"{PREFIX}{sha256(body)[:16]}.html"


DELIMITERS = ",;\t|"  # a manifest saved by a spreadsheet in another locale may use any of these
MAX_FIELD = 8192  # a URL, a date or a file name is far shorter; longer is no manifest row


@dataclass(frozen=True)
class Manifest:
    """raw/manifest.csv as read: its rows with their line numbers, and what could not be used, each
    problem naming the line."""

    rows: list[tuple[int, dict[str, str]]]
    problems: list[str]
    encoding: str = "utf-8"


def read_manifest_file(raw: Path) -> Manifest:
    """Tolerant of what editors and spreadsheets do to a CSV file (another encoding, `File, URL` as
    header, `;` between fields), and never failing on one bad row: the rest are still read."""
    path = raw / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Manifest([], [])
    except OSError as exc:
        return Manifest([], [f"cannot be read ({exc.strerror})"])
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:  # saved by a spreadsheet as Latin-1, Windows-1252 or UTF-16
        from pipeline.extract.decode import decode

        text, encoding = decode(data)
    lines = text.splitlines(keepends=True)
    if not lines:
        return Manifest([], [], encoding)
    header, delimiter = _header(lines[0])
    if "file" not in header:
        return Manifest([], [f"line 1: no `file` column in the header ({lines[0].strip()[:80]!r})"], encoding)
    rows, problems = [], []
    reader = csv.reader(lines[1:], delimiter=delimiter)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"line {reader.line_num + 1}: {exc}")
            continue
        longest = max(map(len, fields), default=0)
        if longest > MAX_FIELD:
            problems.append(f"line {reader.line_num + 1}: a field of {longest:,} characters, over {MAX_FIELD:,}")
            continue
        row = {name: value.strip() for name, value in zip(header, fields) if name}
        if row.get("file"):
            rows.append((reader.line_num + 1, row))
    return Manifest(rows, problems, encoding)


def _header(line: str) -> tuple[list[str], str]:
    """Column names (trimmed, lower case) and the delimiter that makes one of them `file`."""
    for delimiter in DELIMITERS:
        names = [name.strip().lower() for name in next(csv.reader([line], delimiter=delimiter), [])]
        if "file" in names:
            return names, delimiter
    return [], ","


def read_rows(raw: Path) -> list[dict[str, str]]:
    return [row for _, row in read_manifest_file(raw).rows]


def latest_by_url(rows: list[dict[str, str]], raw: Path) -> dict[str, dict[str, str]]:
    """For each URL, the newest capture of it that is still in raw/ (later rows win ties)."""
    latest: dict[str, dict[str, str]] = {}
    for row in rows:
        url = row.get("url") or ""
        if not url or not (raw / row["file"]).is_file():
            continue
        if url not in latest or (row.get("captured_at") or "") >= (latest[url].get("captured_at") or ""):
            latest[url] = row
    return latest


def conditional_headers(row: dict[str, str] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last capture's validators."""
    if not row:
        return {}
    headers = {}
    if row.get("etag"):
        headers["If-None-Match"] = row["etag"]
    if row.get("last_modified"):
        headers["If-Modified-Since"] = row["last_modified"]
    return headers


def write_capture(raw: Path, body: bytes) -> tuple[str, bool]:
    """Store body under its content-addressed name; (name, True) if the file is new."""
    name = capture_name(body)
    target = raw / name
    if target.exists():
        return name, False
    with replacing(target, suffix=TEMP_SUFFIX, durable=True) as tmp:
        tmp.write_bytes(body)
    return name, True


def remove_temp_files(raw: Path) -> list[Path]:
    """Temporary files a killed run may have left (never a capture: those are renamed into place whole)."""
    stale = [p for p in raw.glob(f".{PREFIX}*{TEMP_SUFFIX}") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def upgrade_manifest(raw: Path) -> None:
    """Upgrade an older manifest.csv (e.g. file,url,captured_at) by rewriting it atomically with the
    full header, its rows kept and the new fields blank; a missing one waits for the first row."""
    path = raw / MANIFEST
    if not path.exists():
        return
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    if all(c in header for c in COLUMNS):
        if not path.read_bytes().endswith(b"\n") and path.stat().st_size:
            with open(path, "a", encoding="utf-8", newline="") as fh:
                fh.write("\r\n")
        return
    _write_atomic(path, rows, list(COLUMNS) + [c for c in header if c not in COLUMNS])


def append_row(raw: Path, row: dict[str, str]) -> None:
    """One row, in one write, flushed to disk; the first row creates manifest.csv with the full header."""
    path = raw / MANIFEST
    if not path.exists():
        _write_atomic(path, [row], list(COLUMNS))
        return
    with open(path, newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), list(COLUMNS))
    buf = io.StringIO()
    csv.DictWriter(buf, fieldnames=header, extrasaction="ignore").writerow({k: row.get(k, "") for k in header})
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def _write_atomic(path: Path, rows: list[dict[str, str]], header: list[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k) or "" for k in header})
    with replacing(
        path, suffix=TEMP_SUFFIX, durable=True, keep_mode=True
    ) as tmp:  # an upgraded manifest keeps its mode
        tmp.write_text(buf.getvalue(), encoding="utf-8", newline="")


@dataclass
class Journal:
    """Pages an unfinished run has dealt with: one `url<TAB>outcome` line each, appended as it goes."""

    path: Path
    done: dict[str, str] = field(default_factory=dict)
    resumed: bool = False

    @classmethod
    def open(cls, state: Path, base: str, restart: bool = False) -> Journal:
        path = state / "journal.tsv"
        state.mkdir(parents=True, exist_ok=True)
        if path.exists() and not restart:
            lines = path.read_text(encoding="utf-8").splitlines()
            if lines and lines[0] == f"# base\t{base}":
                done = dict(line.split("\t", 1) for line in lines[1:] if line.count("\t") == 1)
                return cls(path, done, resumed=True)
        path.write_text(f"# base\t{base}\n", encoding="utf-8")
        return cls(path)

    def mark(self, url: str, outcome: str) -> None:
        self.done[url] = outcome
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(f"{url}\t{outcome}\n")
            fh.flush()

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)
