"""Structure stage, per capture: a `CleanCapture` → a `Page` (cell, analysis, overview or other; the
package's `structure` reads it). What is declared here is how a capture the structure step could not
finish looks; the runtime catches the step's exception (or its worker's death) and asks for this record,
so the other captures still go through."""

from __future__ import annotations

from pipeline.model import CleanCapture, Page


def failed(clean: CleanCapture, name: str, message: str) -> list[tuple[str, Page]]:
    c = clean.capture
    return [(name, Page(c.file, c.format, c.sha256, "other", c.url, c.captured_at, errors=[f"structure: {message}"]))]
