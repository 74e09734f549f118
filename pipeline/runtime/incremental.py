"""Incremental rebuilds by content hash: each per-capture stage keeps, in `.index.json` beside its
outputs, the key each output was made from (hash of the input + the stage's own code + options) and
the hash of what it wrote, which is the next stage's input key. A rerun redoes only the captures
whose key changed, without reading any unchanged file (a raw capture is hashed again only when its
size, modification time, change time or inode changed).

Progress is durable: each finished unit is appended to `.index.journal` as it completes, so a run
killed at any moment keeps everything it finished. The journal is folded into the index at the end
of a run, except after a run that planned only a few units (runtime/chain.py), while it is small: a
new capture then costs a journal line, not a rewritten index of every capture.
"""

from __future__ import annotations

import ast
import hashlib
import os
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from pipeline.runtime.atomic import write_bytes_atomic, write_text_atomic

INDEX = ".index.json"  # capture files are named by safe_name, which never starts with a dot
JOURNAL = ".index.journal"  # one JSON line per unit finished since the index was last written
DIGESTS = ".digests.json"  # extract: size, times, inode and sha256 of each raw file
JOURNAL_SHARE = 8  # a journal is folded once it is 1/JOURNAL_SHARE of its index's size: replaying less costs less
RACY_NS = 2_000_000_000  # a file changed this recently may change again within the same clock tick unseen
PACKAGE = Path(__file__).resolve().parent.parent
FINGERPRINTS = PACKAGE / "__pycache__" / "fingerprints.json"  # code_fingerprint's results, beside the bytecode


class Entry(msgspec.Struct, omit_defaults=True):
    """What the index keeps of one unit (a capture, or a Parquet part of captures)."""

    key: str
    outputs: dict[str, str]  # capture name → sha256 of the record written
    facts: dict[str, msgspec.Raw] = {}  # kept as JSON: only merge reads them, with its own types
    part: str | None = None  # the part file holding the outputs, when the stage wrote parts


class _Line(msgspec.Struct):
    unit: str
    entry: Entry | None  # None: the unit was dropped (its input vanished, or did not decode)


@cache
def _imports(module: str) -> tuple[str, ...]:
    """The pipeline modules one module imports, anywhere in it (lazy imports in functions too)."""
    path = _module_path(module)
    if path is None:
        return ()
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if _module_path(f"{node.module}.{a.name}"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pipeline"))
    return tuple(sorted(m for m in found if _module_path(m)))


def _module_path(module: str) -> Path | None:
    base = PACKAGE.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def code_fingerprint(*modules: str) -> str:
    """The hash of the given modules and every pipeline module they import, transitively: a stage's
    outputs are redone when, and only when, code that can change them changes. Kept in the package's
    __pycache__ under the size, times and inode of every module (as bytecode caches trust them), so a
    run where no code changed parses none of it."""
    state = _package_state()
    if not state:
        return _code_fingerprint(modules)
    saved = _saved_fingerprints()
    if saved.get("state") != state:
        saved.clear()
        saved["state"] = state
    name = " ".join(modules)
    if name not in saved:
        saved[name] = _code_fingerprint(modules)
        try:
            write_text_atomic(FINGERPRINTS, msgspec.json.encode(saved, order="sorted").decode())
        except OSError:  # a read-only install: the fingerprints are found again each run
            pass
    return saved[name]


@cache
def _saved_fingerprints() -> dict[str, str]:
    try:
        return msgspec.json.decode(FINGERPRINTS.read_bytes(), type=dict[str, str])
    except (OSError, ValueError):
        return {}


@cache
def _package_state() -> str:
    """The size, times and inode of every module in the package; "" when one changed too recently to
    trust its time (it may change again within the same clock tick)."""
    recent = time.time_ns() - RACY_NS
    stats = []
    for path in sorted(PACKAGE.rglob("*.py")):
        st = path.stat()
        if st.st_mtime_ns >= recent:
            return ""
        stats.append((str(path.relative_to(PACKAGE)), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return hashlib.sha256(msgspec.json.encode(stats)).hexdigest()


def _code_fingerprint(modules: tuple[str, ...]) -> str:
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imports(module))
            parent = module.rpartition(".")[0]
            if parent and _module_path(parent):  # importing a module runs its package's __init__
                todo.append(parent)
    digest = hashlib.sha256()
    for module in sorted(seen):
        path = _module_path(module)
        if path is not None:
            digest.update(module.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stage_fingerprint(stage: str) -> str:
    return code_fingerprint("pipeline.runtime.tasks", *_stage_modules(stage))


@cache
def _stage_modules(stage: str) -> tuple[str, ...]:
    from pipeline.runtime import registry

    return registry.get(stage).modules


def key(stage: str, *parts: object) -> str:
    """The key of one unit of a stage's work: its code, then whatever the output is made from."""
    return keyed(stage_fingerprint(stage), *parts)


def keyed(fingerprint: str, *parts: object) -> str:
    """`key` for a stage whose fingerprint is already known (a chained step in a worker)."""
    return hashlib.sha256(msgspec.json.encode([fingerprint, *parts])).hexdigest()


def file_digests(files: dict[Path, os.stat_result], cache: Path, only: set[Path] | None = None) -> dict[Path, str]:
    """The sha256 of each file (given with its status), hashing again only files whose size, times or
    inode changed since `cache` was written (as git's index does): a rerun over thousands of captures
    reads none of them. The change time cannot be set by a user, so an edit that restores size and
    mtime is still seen. `files` are every file the cache is for, or with `only`, those of the paths
    in `only` that still exist: the cache's other rows are kept."""
    try:
        known = msgspec.json.decode(cache.read_bytes(), type=dict[str, tuple[int, int, int, int, str]])
    except (OSError, ValueError):
        known = {}
    replaced = {str(path) for path in only or ()}
    found = {} if only is None else {n: row for n, row in known.items() if n not in replaced}
    digests = {}
    recent = time.time_ns() - RACY_NS
    for path, stat in files.items():
        name = str(path)
        size, mtime, ctime, inode, digest = known.get(name, (-1, -1, -1, -1, ""))
        if (size, mtime, ctime, inode) != (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino):
            with path.open("rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
        trusted = stat.st_mtime_ns < recent
        found[name] = (stat.st_size, stat.st_mtime_ns if trusted else -1, stat.st_ctime_ns, stat.st_ino, digest)
        digests[path] = digest
    if found != known:
        write_text_atomic(cache, msgspec.json.encode(found, order="sorted").decode())
    return digests


def load(folder: Path, entry: type = Entry) -> dict[str, Any]:
    """unit → Entry (or a whole-set stage's own `entry` type): the index, with its journal replayed over it."""
    try:
        units = msgspec.json.decode((folder / INDEX).read_bytes(), type=dict[str, entry])  # type: ignore[valid-type]
    except (OSError, ValueError):
        units = {}
    for unit, value in _journal(folder, entry).items():
        if value is None:
            units.pop(unit, None)
        else:
            units[unit] = value
    return units


@cache
def _line_type(entry: type) -> type:
    """A journal line read as `entry` (an index read as another type than Entry, e.g. with typed facts)."""
    return msgspec.defstruct("Line", [("unit", str), ("entry", entry | None)])


class Journal:
    """Appends each finished unit as one line, flushed at once: the OS keeps it whatever kills the run."""

    def __init__(self, folder: Path) -> None:
        self._fd = os.open(folder / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._encoder = msgspec.json.Encoder(order="sorted")

    def add(self, unit: str, entry: Entry | None) -> None:
        os.write(self._fd, self._encoder.encode(_Line(unit, entry)) + b"\n")

    def close(self) -> None:
        os.close(self._fd)


def save(folder: Path, units: dict[str, Any]) -> None:
    """The whole index, written atomically; the journal it now contains is removed. One JSON object,
    one unit a line in unit order, so that `each_unit` can read it a unit at a time."""
    encoder = msgspec.json.Encoder(order="sorted")
    lines = [encoder.encode(unit) + b":" + encoder.encode(units[unit]) for unit in sorted(units)]
    write_bytes_atomic(folder / INDEX, b"{\n" + b",\n".join(lines) + (b"\n}\n" if lines else b"}\n"))
    (folder / JOURNAL).unlink(missing_ok=True)


def worth_folding(folder: Path) -> bool:
    """Whether the journal has grown past 1/JOURNAL_SHARE of the index: past that, replaying it on every
    load costs more than writing the index again once."""
    try:
        journal = (folder / JOURNAL).stat().st_size
    except FileNotFoundError:
        return False
    try:
        return journal * JOURNAL_SHARE > (folder / INDEX).stat().st_size
    except FileNotFoundError:
        return True


def each_unit(folder: Path, entry: type = Entry) -> Iterator[tuple[str, Any]]:
    """`load`'s units one at a time, decoded line by line: memory holds one unit of the index (and its
    journal, replayed over it: its units come last), whatever the corpus size. An
    index line that does not decode is left out, as `load` leaves out a whole index."""
    journal = _journal(folder, entry)
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(dict[str, entry])  # type: ignore[valid-type]
    try:
        index = (folder / INDEX).open("rb")
    except OSError:
        index = None
    if index is not None:
        with index:
            first = index.readline()
            # an index written whole on one line (before `save` wrote a unit a line) is decoded whole
            lines: Iterator[bytes] = index if first == b"{\n" else iter([first.strip()[1:-1]])
            for line in lines:
                try:
                    found = decoder.decode(b"{" + line.rstrip(b"\n").removesuffix(b",") + b"}")
                except (msgspec.DecodeError, msgspec.ValidationError):
                    continue  # "}", or a damaged line
                for unit, value in found.items():
                    if unit not in journal:
                        yield unit, value
    for unit, value in journal.items():
        if value is not None:
            yield unit, value


def _journal(folder: Path, entry: type) -> dict[str, Any]:
    """unit → its last journal line's entry (None: dropped)."""
    return journal_units(journal_bytes(folder), entry)


def journal_bytes(folder: Path) -> bytes:
    """A stage's journal as it stands (b"" when there is none): a journal only grows until it is folded,
    so a reader that kept how much of it it had read can replay only the lines after that."""
    try:
        return (folder / JOURNAL).read_bytes()
    except OSError:
        return b""


def journal_units(data: bytes, entry: type = Entry) -> dict[str, Any]:
    """unit → its last entry (None: dropped) in these journal lines, in the order they were written."""
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_Line if entry is Entry else _line_type(entry))
    found: dict[str, Any] = {}
    for raw in data.splitlines():
        try:
            line = decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue  # the last line of a killed run may be cut short: that unit is simply redone
        found.pop(line.unit, None)
        found[line.unit] = line.entry
    return found


def outputs(index: dict[str, Entry]) -> dict[str, str]:
    """Every capture a stage holds, with the hash of its record: the next stage's inputs."""
    return {name: digest for unit in index.values() for name, digest in unit.outputs.items()}


def forget(folder: Path, names: set[str]) -> None:
    """Drop the units holding these captures from a stage's index, so that its next run redoes them."""
    index = load(folder)
    dropped = {u for u, e in index.items() if u in names or names & set(e.outputs)}
    if dropped:
        save(folder, {u: e for u, e in index.items() if u not in dropped})
