"""The captures in a raw folder, and what raw/manifest.csv says of each.

Only regular files inside the folder are read. An entry that is not one (a link leaving the folder, a
dangling link or a loop, a FIFO or device, a sub-folder, a file that cannot be opened, a name that is
not UTF-8) is still listed, with the reason it is refused, so that it is quarantined on its own and
named in the report instead of being read, hanging the run or stopping it. So is a capture whose
manifest rows disagree about where it came from, and the manifest itself when rows of it are unusable.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.fetch.store import MANIFEST, read_manifest_file
from pipeline.runtime.incremental import RACY_NS
from pipeline.runtime.stamps import Stamps

NOT_CAPTURES = {MANIFEST}
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


class Refused(Exception):
    """A raw entry that is not read; the message says why (the run report adds what to do)."""


@dataclass(frozen=True)
class Entry:
    name: str  # the capture's name: the file's name, any byte that is not UTF-8 shown as \xNN
    path: Path
    row: dict[str, str] = field(default_factory=dict)  # its manifest row, if any
    refused: tuple[str, ...] = ()  # why it is not read; empty when it is read
    stat: os.stat_result | None = None  # the file read (a link's target), when it is read


def raw_entries(raw: Path, only: set[str] | None = None) -> list[Entry]:
    """Every entry of `raw` that could be a capture, in name order, plus `manifest.csv` itself when
    some of it could not be used; with `only`, just the entries of those names (each still named as
    among all the others)."""
    rows, problems = manifest_rows(raw)
    root = os.path.realpath(raw)
    entries = []
    for real, name in _names(raw):
        if only is not None and name not in only:
            continue
        row, doubt = rows.get(real, ({}, None))
        path = raw / real
        try:
            info, refused = located(path, root)[1], None
        except Refused as exc:
            info, refused = None, str(exc)
        reasons = tuple(r for r in (refused, doubt) if r)
        entries.append(Entry(name, path, row, reasons, None if reasons else info))
    if problems and (only is None or MANIFEST in only):
        entries.append(Entry(MANIFEST, raw / MANIFEST, {}, tuple(problems)))
    return entries


def _names(raw: Path, found: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(file name, capture name) of each entry of `raw` (or of `found`, its entries' names) that could
    be a capture, in name order."""
    if found is None:
        with os.scandir(raw) as entries:
            found = [e.name for e in entries]
    named, taken = [], set()
    for real in sorted(n for n in found if _listed(n)):
        name = real if real.isascii() else shown_name(real)
        while name in taken:  # an escaped name that is also the name of another file
            name += "~"
        taken.add(name)
        named.append((real, name))
    return named


def capture_files(raw: Path) -> list[Path]:
    """The files of `raw` that are read as captures."""
    return [e.path for e in raw_entries(raw) if not e.refused]


def _listed(name: str) -> bool:
    return not name.startswith(".") and name not in NOT_CAPTURES and not name.lower().startswith("readme")


def shown_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept by Python as surrogates) as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def target(path: Path, root: str) -> str:
    """The real path of the regular file inside `root` that `path` is or links to; Refused otherwise."""
    return located(path, root)[0]


def located(path: Path, root: str) -> tuple[str, os.stat_result]:
    """The real path and status of the regular file inside `root` that `path` (an entry of `root`) is
    or links to; Refused otherwise. An entry that is no link is inside `root` by being listed there."""
    if shown_name(path.name) != path.name:
        raise Refused("its file name is not valid UTF-8")
    info = None
    try:
        info = os.lstat(path)
        link = stat.S_ISLNK(info.st_mode)
        real = os.path.realpath(path, strict=True) if link else str(path)
        if link:
            info = os.stat(real)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("a symbolic link that leads back to itself") from None
        if info and stat.S_ISLNK(info.st_mode) and exc.errno == errno.ENOENT:
            raise Refused(f"a symbolic link to {os.readlink(path)}, which does not exist") from None
        raise Refused(f"cannot be read ({exc.strerror})") from None
    if link and os.path.commonpath([root, os.path.realpath(real)]) != root:
        raise Refused(f"a symbolic link to {os.readlink(path)}, outside the capture folder")
    if stat.S_ISDIR(info.st_mode):
        raise Refused("a folder, not a capture")
    kind = next((what for test, what in _KINDS if test(info.st_mode)), None)
    if kind or not stat.S_ISREG(info.st_mode):
        raise Refused(f"{kind or 'not a regular file'}, not a capture")
    try:
        os.close(os.open(real, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        raise Refused(f"cannot be read ({exc.strerror})") from None
    return real, info


def raw_state(raw: Path) -> Stamps:
    """What `raw_entries` and each capture's content depend on, cheaply: per capture, the type, size,
    times and inode of its entry (and of what a link leads to); shared by all, the manifest's. A
    stamp is "" when its file changed too recently to trust its times (it may change again within
    one clock tick unseen)."""
    recent = time.time_ns() - RACY_NS
    statuses = {}
    with os.scandir(raw) as entries:
        for entry in entries:
            if entry.name == MANIFEST or _listed(entry.name):
                statuses[entry.name] = _status(entry, recent)
    shared = statuses.pop(MANIFEST, "none")
    if all(n.isascii() for n in statuses):  # each capture is named as its file: no name to escape
        return Stamps(shared, statuses)
    units = {name: statuses[real] for real, name in _names(raw, statuses)}
    return Stamps(shared, units)


def _status(entry: os.DirEntry, recent: int) -> str:
    """An entry's stamp: its own status, and a link's target's."""
    infos = [entry.stat(follow_symlinks=False)]
    if stat.S_ISLNK(infos[0].st_mode):
        try:
            infos.append(os.stat(entry.path))
        except OSError:  # a dangling link or a loop: refused by raw_entries, by its own status
            pass
    stamp = ""
    for i in infos:
        if i.st_mtime_ns >= recent or i.st_ctime_ns >= recent:
            return ""
        stamp += f"{i.st_mode} {i.st_size} {i.st_mtime_ns} {i.st_ctime_ns} {i.st_ino};"
    return stamp


def read_manifest(raw: Path) -> dict[str, dict[str, str]]:
    """file → its manifest row."""
    return {name: row for name, (row, _) in manifest_rows(raw)[0].items()}


def manifest_rows(raw: Path) -> tuple[dict[str, tuple[dict[str, str], str | None]], list[str]]:
    """file → (its manifest row, why its identity is in doubt or None), and the problems of rows that
    name no capture of the folder. Rows of one file with one URL are one capture fetched more than
    once: the latest `captured_at` is kept. Rows of one file with different URLs leave it unknown
    which page the file is, so that capture is refused."""
    manifest = read_manifest_file(raw)
    problems = [f"{MANIFEST} {problem}" for problem in manifest.problems]
    lines: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in manifest.rows:
        name = row["file"]
        if name != os.path.basename(name) or name in (".", ".."):
            problems.append(f"{MANIFEST} line {line}: {name!r} is not the name of a file in the capture folder")
            continue
        lines.setdefault(name, []).append((line, row))
    rows: dict[str, tuple[dict[str, str], str | None]] = {}
    for name, found in lines.items():
        urls = sorted({row.get("url", "") for _, row in found})
        latest = max(found, key=lambda found: (found[1].get("captured_at") or "", found[0]))[1]
        doubt = None
        if len(urls) > 1:
            numbers = ", ".join(str(line) for line, _ in found)
            doubt = f"{MANIFEST} lines {numbers} give it different URLs ({'; '.join(u or '(none)' for u in urls)})"
        rows[name] = (latest, doubt)
    return rows, problems
