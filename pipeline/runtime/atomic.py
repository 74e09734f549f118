"""Writing without half-written files: a temporary file beside the target, renamed over it whole (or
appended to across runs, then renamed); folders swapped in one step; capture names made safe as file
names. Shared by every stage that writes, the fetch store and the WARC archive."""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def replacing(path: Path, suffix: str = "", durable: bool = False, keep_mode: bool = False) -> Iterator[Path]:
    """A temporary file beside `path` (`.NAME.<random><suffix>`), moved over it only if the block
    finishes: readers see the old file or the new one, never half of one. `durable`: synced to disk
    before the rename (files another run builds on, such as raw/ captures); `keep_mode`: the file it
    replaces keeps its mode, otherwise a new file gets the umask's usual one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _put_in_place(Path(tmp), path, durable, keep_mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Appending:
    """A file built by appending, over several runs if one is interrupted: written at `.NAME.part`
    beside `path` and moved over it only by `finish`, so readers see the old file or the whole new one.
    A run that stops first leaves the part; one that resumes appends to it, once the caller has cut off
    whatever the stop left half-written. Finishing is durable and keeps the mode of the file replaced,
    as `replacing(durable=True, keep_mode=True)` is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.part = path.with_name(f".{path.name}.part")

    @property
    def resumable(self) -> bool:
        """An interrupted run left a part to carry on."""
        return self.part.is_file()

    def open(self, resume: bool) -> BinaryIO:
        """The part, to append to (`resume`) or started afresh."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return open(self.part, "ab" if resume else "wb")

    def finish(self) -> None:
        _put_in_place(self.part, self.path, durable=True, keep_mode=True)


def _put_in_place(tmp: Path, path: Path, durable: bool, keep_mode: bool) -> None:
    """Move the finished `tmp` over `path`, with the mode `path` had (`keep_mode`) or the umask's usual
    one, synced to disk first if `durable`."""
    if keep_mode and path.exists():
        os.chmod(tmp, path.stat().st_mode & 0o7777)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide published files from other readers
    if durable:
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_NEW_MODE = 0o666  # the umask then applies, as it does to any new file
_TEMP_TRIES = 100  # names already taken before giving up, as tempfile does


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """`replacing` in the fewest system calls, for the per-capture records: one open of a fresh
    `.NAME.<random>` beside `path` (created with the umask's mode, so no chmod), one write, one rename;
    the folder is made only when the first open finds it missing. Not synced: a record is made again
    from its input whenever it is missing or does not decode, so after a power cut the worst case is
    work redone, never a wrong record read; a run killed with kill -9 loses nothing the kernel had."""
    for _ in range(_TEMP_TRIES):
        tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}")
        try:
            fd = os.open(tmp, _CREATE, _NEW_MODE)
        except FileExistsError:
            continue
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        break
    else:
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        with open(fd, "wb", closefd=True) as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_SAFE = re.compile(r"[A-Za-z0-9._-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 200  # with ".json.zst" and a temporary file's prefix and suffix, within the 255 bytes of a file name
_TAG = "~"  # outside the safe alphabet: a name kept as it is never looks like one that was rewritten
_TAG_DIGITS = 16


def safe_name(name: str) -> str:
    """A capture's name as a file name inside one folder: no separators, no leading dots, not too long,
    and one-to-one. A name that is already safe is kept; any other becomes a safe stem, "~" and a hash
    of the exact name, so `cell a.txt` and `cell_a.txt` (or `x#0002` and `x_0002`) never share a file."""
    if _SAFE.fullmatch(name) and not name.startswith(".") and len(name) <= MAX_STEM:
        return name
    stem = _UNSAFE.sub("_", name).lstrip(".")[:MAX_STEM] or "capture"
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:_TAG_DIGITS]
    return f"{stem}{_TAG}{digest}"


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
