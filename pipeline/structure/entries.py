"""A cell's entry list: "K Title (reference). Annotation …", one block per entry.

Tag letters may share the entry's line, stand on a line of their own, or be lost by the capture;
a lost tag is inferred from the neighbouring entries (the site lists S, K, R, G in that order).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.model import Block, Entry, Reference, Rich, Span
from pipeline.site.rules import TAG_LETTERS, TAG_LINE
from pipeline.structure.references import parse_reference

TAG_ORDER = TAG_LETTERS
_TAG = f"[{TAG_LETTERS}]"
_TAGS = re.compile(rf"^(?P<tags>{_TAG}(?:[ ,/]+{_TAG})?)\s+(?=\S)")
_TAG_LETTER = re.compile(_TAG)
_PAREN = re.compile(r"\(((?:[^()]|\([^()]*\))*)\)")
_TITLE_LIMIT = 400
_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_ANNOTATION_START = re.compile(r"\s+[\"'‘“]?[A-Z]")
_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+(?=[A-Z‘“\"'])")


@dataclass
class Candidate:
    """A block read as an entry, before its position and any inferred tags are known."""

    tags: list[str]
    body: Rich
    block: Block
    reference: Reference | None  # primary_reference of the body, found once: every later step asks for it

    @property
    def has_reference(self) -> bool:
        return self.reference is not None

    def extend(self, text: str) -> None:
        """Text the capture broke off into a block of its own goes on the entry's body."""
        self.body.text += " " + text
        self.reference = primary_reference(self.body.text)


def read_tags(text: str) -> tuple[list[str], int]:
    """Tag letters at the start of a block and where the entry text begins after them."""
    m = _TAGS.match(text)
    if not m:
        return [], 0
    return _TAG_LETTER.findall(m.group("tags")), m.end()


def primary_reference(body: str) -> Reference | None:
    """The entry's own reference: the first parenthesised reference followed by a full stop (or the end), or
    by the annotation's first word when the full stop was left out ("… pays off (1993) From a trial …")."""
    for m in _PAREN.finditer(body):
        if m.start() > _TITLE_LIMIT:
            break
        after = body[m.end() : m.end() + 1]
        if after not in ("", ".", ",", ";", ":") and not _ANNOTATION_START.match(body, m.end()):
            continue
        ref = parse_reference(m.group(1), m.start(), m.end())
        if ref:
            return ref
    return None


def candidate(block: Block, tags: list[str] | None = None) -> Candidate:
    """Read a block as a possible entry; `tags` are letters that stood on the line before it."""
    own, offset = read_tags(block.text)
    body_text = _body_text(block.text, offset)
    spans = (
        [Span(max(s.start - offset, 0), s.end - offset, s.kind, s.href) for s in block.spans if s.end > offset]
        if offset
        else list(block.spans)  # (spans are frozen, and each ends after the block's start)
    )
    return Candidate((tags or []) + own, Rich(body_text, spans), block, primary_reference(body_text))


def _body_text(text: str, offset: int) -> str:
    """An entry's text after its tag letters, on one line."""
    return text[offset:].replace("\n", " ")


def lists_entries(blocks: Iterable[Block]) -> bool:
    """Whether any block reads as a tagged entry with its reference, tag letters on its line or the line before."""
    pending: list[str] = []
    for block in blocks:
        if TAG_LINE.match(block.text):
            pending = read_tags(block.text + " x")[0]
            continue
        own, offset = read_tags(block.text)
        tagged = bool(pending or own)
        pending = []
        if tagged and primary_reference(_body_text(block.text, offset)):
            return True
    return False


def build_entry(c: Candidate, position: int, types: list[str], inferred: bool, last: bool, capture: str) -> Entry:
    body = c.body.text
    ref = c.reference
    if ref:
        title = body[: ref.start].strip()
        annotation = body[ref.end :].lstrip(".,;: ").strip()
        cut_off = last and bool(annotation) and not _END.search(annotation)
    else:
        title, annotation = body.strip(), ""
        cut_off = last
        if cut_off and title.startswith("[") and "]" not in title:
            title = title[1:]  # a Markdown link the capture cut off before its closing bracket
        sentence = _SENTENCE_BREAK.search(body)
        if not last and sentence:
            title, annotation = body[: sentence.start()].rstrip("."), body[sentence.end() :].strip()
    return Entry(
        position=position,
        types=types,
        types_inferred=inferred,
        title=title,
        reference=ref,
        annotation=annotation,
        body=c.body,
        cut_off=cut_off,
        line=c.block.line,
        capture=capture,
    )


def infer_types(previous: list[str] | None, following: list[str] | None, has_issuer: bool) -> list[str]:
    """Tags for an entry whose letter was lost, from its neighbours in the S, K, R, G order."""
    before = previous[-1] if previous else None
    after = following[0] if following else None
    if before and after:
        if before == after:
            return [before]
        return ["G"] if has_issuer and "G" in (before, after) else [before]
    return [before or after or ("G" if has_issuer else "K")]
