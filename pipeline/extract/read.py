"""Readers: one capture's bytes to the shared block representation, whatever its format."""

from __future__ import annotations

import hashlib

from pipeline.extract.decode import decode, repair
from pipeline.extract.detect import detect_format
from pipeline.extract.html import read_html
from pipeline.extract.limits import MAX_BYTES, Unreadable, not_a_capture
from pipeline.extract.markdown import read_markdown
from pipeline.extract.text import read_text
from pipeline.model import Block, Capture

READERS = {"html": read_html, "markdown": read_markdown, "text": read_text}


def read_capture(
    file: str,
    data: bytes,
    url: str | None = None,
    captured_at: str | None = None,
    charset: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> Capture:
    """`charset`: what the server's Content-Type header declared (manifest or WARC), if known."""
    sha = hashlib.sha256(data).hexdigest()
    problem = not_a_capture(data, max_bytes)
    if problem:
        return Capture(file, "unknown", sha, [], url, captured_at, errors=[f"extract: {problem}"])
    decoded, encoding = decode(data, charset)
    utf8 = data if encoding == "utf-8" else None
    text, repaired, controls = repair(decoded.replace("\r\n", "\n").replace("\r", "\n"), utf8)
    warnings = [f"decoded as {encoding}"] if encoding not in ("utf-8", "utf-8-sig", "ascii") else []
    if repaired:
        warnings.append("repaired mojibake (text decoded with the wrong encoding before capture)")
    if controls:
        warnings.append(f"removed {controls} control characters")
    fmt = detect_format(text)
    try:  # the readers stop at the block limit, or where the HTML parser gave up
        # the HTML parser reads UTF-8: the page's own bytes, when they are its text's
        blocks: list[Block] = (
            read_html(text, warnings, utf8 if text == decoded else None)
            if fmt == "html"
            else READERS[fmt](text, warnings)
        )
        errors = []
    except Unreadable as exc:
        blocks, errors = [], [f"extract: {exc}"]
    return Capture(file, fmt, sha, blocks, url, captured_at, encoding, warnings, errors)
