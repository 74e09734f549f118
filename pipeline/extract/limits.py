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


def too_big(size: int, max_bytes: int) -> str:
    return f"capture is {size:,} bytes, over the limit of {max_bytes:,}: raise --max-bytes if it is genuine"


def not_a_capture(data: bytes, max_bytes: int = MAX_BYTES) -> str | None:
    """Why these bytes cannot be a page capture at all, or None."""
    if len(data) > max_bytes:
        return too_big(len(data), max_bytes)
    for magic, what in _BINARY:
        if data.startswith(magic):
            return f"binary file ({what}), not a page capture"
    return None
