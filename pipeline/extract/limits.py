"""What the pipeline will read as a capture: its size, its number of blocks, and bytes that are no
page at all. Kept apart from the readers so that every stage can name the limits without loading them."""

from __future__ import annotations

MAX_BYTES = 20 * 1024 * 1024
MAX_BLOCKS = 50_000
_BINARY = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
)


class Unreadable(Exception):
    """A capture that is not read into blocks; the message says why and what to do."""


def too_big(size: int | None, max_bytes: int) -> str:
    """`size` None: reading stopped at the limit, so the whole size is not known."""
    what = f"{size:,} bytes" if size is not None else f"more than {max_bytes:,} bytes"
    return f"capture is {what}, over the limit of {max_bytes:,}: raise --max-bytes if it is genuine"


def too_many_blocks(found: int | None = None) -> str:
    """`found` None: reading stopped at the limit."""
    what = f"{found:,}" if found is not None else f"more than {MAX_BLOCKS:,}"
    return f"capture has {what} blocks, over the limit of {MAX_BLOCKS:,}: not a page of the site"


def check_blocks(count: int) -> None:
    """Called by the readers as they add blocks, so that a capture of millions of lines stops early."""
    if count > MAX_BLOCKS:
        raise Unreadable(too_many_blocks())


def not_a_capture(data: bytes, max_bytes: int = MAX_BYTES) -> str | None:
    """Why these bytes cannot be a page capture at all, or None."""
    if len(data) > max_bytes:
        return too_big(len(data), max_bytes)
    for magic, what in _BINARY:
        if data.startswith(magic):
            return f"binary file ({what}), not a page capture"
    return None
