"""Clean stage, per capture: a `Capture` → a `CleanCapture` with every block's role marked."""

from __future__ import annotations

from pipeline.clean.passes import clean
from pipeline.model import Capture, CleanCapture, from_json


def clean_capture(capture: Capture) -> CleanCapture:
    try:
        return clean(capture)
    except Exception as exc:  # isolate: the other captures still go through
        return _quarantined(capture, f"{type(exc).__name__}: {exc}")


def failed(source: bytes, name: str, message: str) -> list[tuple[str, CleanCapture]]:
    """The output of a capture whose work could not finish (its worker died)."""
    return [(name, _quarantined(from_json(Capture, source), message))]


def _quarantined(capture: Capture, message: str) -> CleanCapture:
    c = capture
    return CleanCapture(Capture(c.file, c.format, c.sha256, [], c.url, c.captured_at, errors=[f"clean: {message}"]), [])
