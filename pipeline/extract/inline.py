"""Builds one block's text and inline spans, normalising whitespace and Unicode as it goes.

Readers append pieces in document order; offsets of spans are always offsets into the final,
normalised text, so no later stage has to re-map them.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.model import Block, BlockKind, Span, SpanKind

_SPACE = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalise(text: str) -> str:
    """NFC, no invisible characters, one space for any run of horizontal white space."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return _SPACE.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def _visible(piece: str) -> str:
    """NFC without invisible characters. Those are all format characters, which are never printable, and
    neither is any white space but the ASCII space: a printable piece (most are) skips the search."""
    if piece.isascii():
        return piece
    piece = unicodedata.normalize("NFC", piece)
    return piece if piece.isprintable() else _INVISIBLE.sub("", piece)


def _single_spaced(piece: str) -> bool:
    """No white space but single ASCII spaces (see _visible): then splitting on white space changes nothing."""
    return piece.isprintable() and "  " not in piece


def _collapse(piece: str) -> str:
    """Any run of white space (Unicode-aware) as one space, ends kept: split/join is ~5x a regex here. A
    single-spaced piece comes back as it was, so callers test first only to skip the work."""
    core = " ".join(piece.split())
    if not core:
        return " " if piece else ""
    return (" " if piece[0].isspace() else "") + core + (" " if piece[-1].isspace() else "")


def one_line(piece: str) -> str:
    """What a builder given `piece` alone builds: its text normalised, on one line, trimmed (a plain
    text line is one such piece, and needs none of the builder's bookkeeping)."""
    piece = _visible(piece)
    return piece.strip(" ") if _single_spaced(piece) else " ".join(piece.split())


class InlineBuilder:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._open: list[tuple[SpanKind, int, str | None]] = []
        self.spans: list[Span] = []

    @property
    def untouched(self) -> bool:
        """Nothing written, opened or closed: the same as a new builder."""
        return not (self._parts or self._open or self.spans)

    def _last_char(self) -> str:
        for part in reversed(self._parts):
            if part:
                return part[-1]
        return "\n"

    def text(self, piece: str) -> None:
        # _collapse(_visible(piece)), with each test made once (a scan of a non-ASCII piece's characters
        # for printability costs more than the rest of its work): most pieces are printable with no
        # double space, and keep every character
        if piece.isascii():
            if not piece.isprintable() or "  " in piece:
                piece = _collapse(piece)
        else:
            piece = unicodedata.normalize("NFC", piece)
            if not piece.isprintable():
                piece = _collapse(_INVISIBLE.sub("", piece))
            elif "  " in piece:
                piece = _collapse(piece)
        if piece.startswith(" ") and self._last_char() in " \n":
            piece = piece[1:]
        if piece:
            self._parts.append(piece)
            self._length += len(piece)

    def hard_break(self) -> None:
        while self._parts and self._parts[-1].endswith(" "):
            self._parts[-1] = self._parts[-1][:-1]
            self._length -= 1
        if self._length and self._last_char() != "\n":
            self._parts.append("\n")
            self._length += 1

    def open(self, kind: SpanKind, href: str | None = None) -> None:
        self._open.append((kind, self._length, href))

    def close(self, kind: SpanKind) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == kind:
                _, start, href = self._open.pop(i)
                self.spans.append(Span(start, self._length, kind, href))
                return

    def build(
        self, kind: BlockKind, level: int = 0, line: int | None = None, landmark: str | None = None
    ) -> Block | None:
        """Close the block: trim white space at either end (moving spans with it); None if empty. The
        builder is left empty, as a new one (the HTML reader builds each block of a page with one)."""
        parts = self._parts
        if parts:
            while self._open:
                self.close(self._open[-1][0])
        spans = self.spans
        self._parts, self._length, self._open, self.spans = [], 0, [], []
        if not parts:  # nothing written: the HTML reader closes a block at every block-level tag
            return None
        raw = "".join(parts)
        if "\n" in raw:
            text = "\n".join(ln for ln in (ln.strip(" ") for ln in raw.split("\n")) if ln)
        else:  # one line, as most blocks are
            text = raw.strip(" ")
        if not text:
            return None
        return Block(kind, text, _remap(raw, text, spans), level, line, landmark)


def _remap(raw: str, text: str, spans: list[Span]) -> list[Span]:
    """Map span offsets from `raw` to `text`, which is `raw` with some white space removed."""
    if not spans:
        return []
    mapping: range | list[int]
    if raw == text:
        mapping = range(len(raw) + 1)
    else:
        offsets = [0] * (len(raw) + 1)
        j, size = 0, len(text)
        for i, ch in enumerate(raw):
            offsets[i] = j
            if j < size and text[j] == ch:
                j += 1
        offsets[len(raw)] = j
        mapping = offsets
    out = []
    for s in spans:
        start, end = mapping[s.start], mapping[s.end]
        while start < end and text[start] in " \n":
            start += 1
        while end > start and text[end - 1] in " \n":
            end -= 1
        if end > start:  # a span the trimming left as it was is kept (most are; they are frozen)
            out.append(s if start == s.start and end == s.end else Span(start, end, s.kind, s.href))
    return sorted(out, key=lambda s: (s.start, -s.end, s.kind))
