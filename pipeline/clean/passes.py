"""Clean stage: mark what is not page content and mend what the capture broke.

Nothing is deleted: every block keeps a role ("content", or why it was removed), so later
stages can still use furniture as evidence and the report can count what went.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rapidfuzz import fuzz

from pipeline.model import Block, Capture, CleanBlock, CleanCapture, Span
from pipeline.site.furniture import classify_block
from pipeline.site.rules import TAG_LINE

_CHROME_LANDMARKS = {"nav", "sidebar", "footer"}
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_STARTS_LOWER = re.compile(r"^[\"'“‘(\[]?[a-z]")
_CHART_LABEL = re.compile(r"^\d{1,2}\s+\S")
_WORD = re.compile(r"[\w’'-]+")
_BITE_HEADING = re.compile(
    r"^(?:what is this cell about\?|where should i start\?|highlighted study|"
    r"issues to consider and discuss)",
    re.I,
)


def clean(capture: Capture) -> CleanCapture:
    """The capture's blocks, each with its role. The record keeps the capture's details but not its
    `blocks` again: each one is already in a `CleanBlock`, and holding them twice doubled the record."""
    blocks = [CleanBlock(b) for b in capture.blocks]
    _mark_landmarks(blocks)
    _mark_furniture(blocks)
    _mark_repeats(blocks)
    _mark_chart_labels(blocks)
    _mark_pull_quotes(blocks)
    _rejoin(blocks)
    return CleanCapture(replace(capture, blocks=[]), blocks, _unknown_furniture(blocks))


def _mark_landmarks(blocks: list[CleanBlock]) -> None:
    for cb in blocks:
        if cb.block.landmark in _CHROME_LANDMARKS:
            cb.role, cb.reason = "furniture", f"landmark:{cb.block.landmark}"


def _mark_furniture(blocks: list[CleanBlock]) -> None:
    after_furniture = False
    for cb in blocks:
        if cb.block.kind == "rule":
            cb.role, cb.reason = "furniture", "rule"
            continue
        if not cb.is_content:
            after_furniture = True
            continue
        category = classify_block(cb.block.text, after_furniture)
        if category:
            cb.role, cb.reason = "furniture", category
        after_furniture = category is not None


_REPEAT_MAX = 300  # longest block (characters) that counts as a repeated blurb


def _mark_repeats(blocks: list[CleanBlock]) -> None:
    """A short block said again word for word (a funding blurb, a control) is furniture; an entry's tag
    letters standing on their own line ("K" above each key study) are said again by design.

    Readers leave one space between words, and lower-casing never shortens, so a key is never shorter
    than its text: a longer text can neither be a repeat nor be repeated, and is not keyed at all.
    """
    seen: set[str] = set()
    for cb in blocks:
        text = cb.block.text
        if len(text) > _REPEAT_MAX:
            continue
        lowered = text.lower()
        # printable, with no double space: no white space but single spaces, and lower-casing adds none
        key = lowered.strip(" ") if text.isprintable() and "  " not in text else " ".join(lowered.split())
        if cb.is_content and len(key) <= _REPEAT_MAX and key in seen and not TAG_LINE.match(text.strip()):
            cb.role, cb.reason = "repeat", "repeated block"
        seen.add(key)


def _is_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.rstrip()))


def _mark_chart_labels(blocks: list[CleanBlock]) -> None:
    """Runs of short list items that are mostly numbered axis labels ("1 Attend at least once")."""
    run: list[CleanBlock] = []
    for cb in [cb for cb in blocks if cb.is_content] + [None]:
        if cb and cb.block.kind == "list_item" and len(cb.block.text.split()) <= 8 and not _is_sentence(cb.block.text):
            run.append(cb)
            continue
        if run and 2 * sum(bool(_CHART_LABEL.match(r.block.text)) for r in run) >= len(run):
            for r in run:
                r.role, r.reason = "chart", "chart axis label"
        run = []


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


_PULL_QUOTE_SHARED = 0.85  # share of a pull quote's words its paragraph must hold
_PULL_QUOTE_WORDS = (6, 30)  # fewest and most words of a pull quote
_WORDS_SEEN_FIRST = 8 * _PULL_QUOTE_WORDS[1]  # characters counted first: most paragraphs pass the most there


def _pull_quote_length(text: str) -> bool:
    """Whether `text` has as many words (_words) as a pull quote, counted without lower-casing each word.
    A word is a run of word characters, so the start of a text never holds more words than the whole
    (a word cut at its end is still one): a paragraph with too many words there is turned down before
    the rest of it is read."""
    fewest, most = _PULL_QUOTE_WORDS
    if len(text) > _WORDS_SEEN_FIRST and len(_WORD.findall(text, 0, _WORDS_SEEN_FIRST)) > most:
        return False
    return fewest <= len(_WORD.findall(text)) <= most


_CONTEXT_CASED = "Σ"  # the one letter whose lower case depends on its neighbours (final sigma)


def _mark_pull_quotes(blocks: list[CleanBlock], window: int = 4) -> None:
    """A short display line that restates a nearby paragraph is a pull quote, not a paragraph.

    A neighbour is split into words only when enough of the line's words occur in its lower-cased
    text at all (a necessary condition, tested with substring searches): most neighbours fail it.
    """
    content = [cb for cb in blocks if cb.is_content]
    all_words: dict[int, list[str]] = {}
    lowered: dict[int, str] = {}

    def words_of(j: int) -> list[str]:
        if j not in all_words:
            all_words[j] = _words(content[j].block.text)
        return all_words[j]

    def lower_of(j: int) -> str:
        if j not in lowered:
            lowered[j] = content[j].block.text.lower()
        return lowered[j]

    for i, cb in enumerate(content):
        text = cb.block.text
        if (
            cb.block.kind == "heading"
            or text.rstrip().endswith(".")
            or text.startswith(("►", "▶"))
            or not _pull_quote_length(text)
            or _BITE_HEADING.match(text)
        ):
            continue
        words = words_of(i)
        vocab = set(words)
        needed = _PULL_QUOTE_SHARED * len(vocab)
        # fewer than `needed` of the words can be in a text that holds none of these (any so many of them would
        # do; the longest are the least likely to be there): most neighbours are turned down after a few searches
        probe = sorted(vocab, key=len, reverse=True)[: int(len(vocab) - needed) + 1]
        for j in [*range(max(0, i - window), i), *range(i + 1, min(len(content), i + 1 + window))]:
            other = content[j]
            if _CONTEXT_CASED not in other.block.text:
                has = lower_of(j).__contains__
                if not any(map(has, probe)) or sum(map(has, vocab)) < needed:
                    continue
            other_words = words_of(j)
            if 2 * len(other_words) < 3 * len(words):
                continue
            shared = len(vocab & set(other_words)) / len(vocab)
            if shared >= _PULL_QUOTE_SHARED and fuzz.partial_ratio(text.lower(), lower_of(j)) >= 65:
                cb.role, cb.reason = "pullquote", "pull quote repeating body text"
                break


_KNOWN_SHORT = re.compile(
    r"^(?:[SKRG](?:\s+[SKRG])?|matrix row logo\b.*|key points|main findings|summary|commentary|"
    r"issues to consider and discuss|highlighted study|(?:interventions|practitioners|"
    r"management/supervision|organisational functioning|treatment systems)\b.*)$",
    re.I,
)


def _unknown_furniture(blocks: list[CleanBlock]) -> list[str]:
    """Short navigation-like lines beside known furniture that the vocabulary does not know.

    They are left in place (they may be content) but reported, so a new site layout is noticed
    rather than silently mixed into the tables.
    """
    warnings = []
    for i, cb in enumerate(blocks):
        if not cb.is_content or cb.block.kind == "heading" or len(cb.block.text) > 40:
            continue
        text = cb.block.text.replace("\n", " ")
        if len(text.split()) > 5 or _is_sentence(text) or _KNOWN_SHORT.match(text):
            continue
        neighbours = blocks[max(0, i - 1) : i] + blocks[i + 1 : i + 2]
        if any(n.role == "furniture" for n in neighbours):
            warnings.append(
                f"line {cb.block.line}: short line beside page furniture that the furniture "
                f"vocabulary does not know (new site layout?): {text!r}"
            )
    return warnings


def _rejoin(blocks: list[CleanBlock]) -> None:
    """Join a paragraph cut by a page or sidebar break: it stops mid-sentence, the next goes on in lower case."""
    previous: CleanBlock | None = None
    for cb in blocks:
        if not cb.is_content:
            continue
        b = cb.block
        if (
            previous is not None
            and b.kind == "paragraph"
            and previous.block.kind == "paragraph"
            and _STARTS_LOWER.match(b.text)
            and not _is_sentence(previous.block.text)
        ):
            previous.block = join_blocks(previous.block, b)
            cb.role, cb.reason = "joined", f"continues the paragraph at line {previous.block.line}"
            continue
        previous = cb


def join_blocks(first: Block, second: Block) -> Block:
    offset = len(first.text) + 1
    spans = first.spans + [Span(s.start + offset, s.end + offset, s.kind, s.href) for s in second.spans]
    return Block(first.kind, f"{first.text} {second.text}", spans, first.level, first.line, first.landmark)
