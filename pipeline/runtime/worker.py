"""Imported first by the fork server that starts local workers: it dies with the run that started it,
and has the task code loaded so each worker forks ready to work.

The kernel's parent-death signal is asked for, and a watchdog thread checks the parent as well: the
signal follows the thread that started this process, which is not always one that lives as long as
the run."""

from __future__ import annotations

import os
import threading
import time

from pipeline.runtime import tasks  # noqa: F401  (preloaded for the workers)
from pipeline.runtime.executors import RUN, die_with_parent

WATCH_SECONDS = 0.5  # how often the fork server checks that the run that started it is still there


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(0)


die_with_parent()
threading.Thread(target=_watch, args=(os.getppid(),), daemon=True, name="watch-parent").start()
if os.getppid() != int(os.environ.get(RUN, os.getppid())):  # the run died while this server was starting
    os._exit(0)
