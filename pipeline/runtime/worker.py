"""Imported first by the fork server that starts local workers: it dies with the run that started it,
and has the task code loaded so each worker forks ready to work."""

from __future__ import annotations

from pipeline.runtime import tasks  # noqa: F401  (preloaded for the workers)
from pipeline.runtime.executors import die_with_parent

die_with_parent()
