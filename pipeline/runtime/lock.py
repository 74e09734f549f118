"""One publisher per folder."""
from __future__ import annotations

import logging
import os
import socket
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("pipeline")


class LockError(Exception):
    """Another run is publishing to the same folder."""


def _lock_path(processed: Path) -> Path:
    return processed.parent / f".{processed.name}.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def publish_lock(processed: Path):
    """One publisher per folder. A lock left by a run that is no longer running is explained and taken over."""
    path = _lock_path(processed)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = f"{os.getpid()} {socket.gethostname()}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = path.read_text(encoding="utf-8", errors="replace").split()
            pid, host = (int(holder[0]) if holder and holder[0].isdigit() else -1), (holder[1] if len(holder) > 1 else "")
            if host == socket.gethostname() and not _alive(pid):
                log.warning("stale lock %s left by process %s, which is no longer running; taking it over", path, pid)
                path.unlink(missing_ok=True)
                continue
            raise LockError(f"{path} is held by process {pid} on {host or 'an unknown host'}: another run is "
                            f"publishing to {processed}. Wait for it, or delete the lock if that run is gone.")
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
