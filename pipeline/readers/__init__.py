"""Readers: one capture's bytes to the shared block representation, whatever its format."""
from __future__ import annotations

import hashlib

from pipeline.decode import decode
from pipeline.model import Block, Capture
from pipeline.readers.detect import detect_format
from pipeline.readers.html import read_html
from pipeline.readers.markdown import read_markdown
from pipeline.readers.text import read_text

READERS = {"html": read_html, "markdown": read_markdown, "text": read_text}


def read_capture(file: str, data: bytes, url: str | None = None, captured_at: str | None = None,
                 charset: str | None = None) -> Capture:
    """`charset`: what the server's Content-Type header declared (manifest or WARC), if known."""
    text, encoding = decode(data, charset)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt = detect_format(text)
    blocks: list[Block] = READERS[fmt](text)
    return Capture(file=file, format=fmt, sha256=hashlib.sha256(data).hexdigest(), blocks=blocks,
                   url=url, captured_at=captured_at, encoding=encoding)
