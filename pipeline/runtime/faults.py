"""Fault-injection points, for the tests that kill a run at a chosen moment: with
PIPELINE_PAUSE_<POINT>=seconds in the environment the run sleeps there (points: each per-capture
stage's name, after a capture's output is written; `publish`, once the set is staged)."""

from __future__ import annotations

import os
import time


def pause(point: str) -> None:
    seconds = float(os.environ.get(f"PIPELINE_PAUSE_{point.upper()}", "0") or 0)
    if seconds:
        time.sleep(seconds)
