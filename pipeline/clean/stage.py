"""Clean stage, per capture: a `Capture` → a `CleanCapture` (passes.py marks each block's role). What
is declared here is how a capture the clean step could not finish looks; the runtime catches the step's
exception (or its worker's death) and asks for this record, so the other captures still go through."""

from __future__ import annotations

from pipeline.model import Capture, CleanCapture


def failed(capture: Capture, name: str, message: str) -> list[tuple[str, CleanCapture]]:
    c = capture
    quarantined = Capture(c.file, c.format, c.sha256, [], c.url, c.captured_at, errors=[f"clean: {message}"])
    return [(name, CleanCapture(quarantined, []))]
