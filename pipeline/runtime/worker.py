"""Imported first by the fork server that starts local workers: it dies with the run that started it,
and has the task code loaded so each worker forks ready to work."""

from __future__ import annotations

import os

from pipeline.runtime import tasks  # noqa: F401  (preloaded for the workers)
from pipeline.runtime.executors import RUN, die_with_parent

die_with_parent()
if os.getppid() != int(os.environ.get(RUN, os.getppid())):  # the run died while this server was starting
    os._exit(0)
