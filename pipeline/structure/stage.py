"""Structure stage, per capture: a `CleanCapture` → a `Page` (cell, analysis, overview or other)."""

from __future__ import annotations

from pipeline.model import CleanCapture, Page, from_json
from pipeline.structure import structure


def structure_capture(clean: CleanCapture) -> Page:
    try:
        return structure(clean)
    except Exception as exc:  # isolate: the other captures still go through
        return _quarantined(clean, f"{type(exc).__name__}: {exc}")


def failed(source: bytes, name: str, message: str) -> list[tuple[str, Page]]:
    """The output of a capture whose work could not finish (its worker died)."""
    return [(name, _quarantined(from_json(CleanCapture, source), message))]


def _quarantined(clean: CleanCapture, message: str) -> Page:
    c = clean.capture
    return Page(c.file, c.format, c.sha256, "other", c.url, c.captured_at, errors=[f"structure: {message}"])
