"""Whether a text can hold a pattern at all, asked before the pattern is searched for.

A case-insensitive pattern's hint is a piece of it in lower case; `text.lower()` holds the hint exactly
when the text holds it in any mix of cases. Lower-casing a text that is not ASCII looks up each of its
characters (it was a tenth of the structure stage's work); its UTF-8 bytes lower-case at memory speed,
and only their ASCII letters change. The two agree for a hint of ASCII letters other than "i" and "k":
no other character lower-cases to an ASCII letter but "İ" (to "i" and a dot) and the Kelvin sign ("k").
"""

from __future__ import annotations

_NOT_HINTS = frozenset("ik")  # ASCII letters that a character beyond ASCII lower-cases to


def hint(piece: str) -> bytes:
    """A hint for `holds`: `piece` as it is lower-cased, checked to be one the bytes can find."""
    if not piece.isascii() or piece != piece.lower() or _NOT_HINTS & set(piece):
        raise ValueError(f"not a hint bytes can find: {piece!r}")
    return piece.encode("ascii")


def lowered_bytes(text: str) -> bytes:
    """The text's UTF-8 with its ASCII capitals lower-cased (a lone surrogate passes as its own bytes)."""
    return text.encode("utf-8", "surrogatepass").lower()
