"""The site's page furniture: sidebar, navigation, legend, controls and footers.

A line is furniture when it can be read entirely as known phrases, allowing for the ways captures
damage them: phrases run together on one line, cut at a fixed width ("Alcohol Treat",
"Society for the S"), wrapped onto a second line ("of Addiction"), or slightly garbled.
Each phrase has a category so later stages can use furniture as evidence (an analysis header,
the start of folded supplementary text) after it has been removed from the content.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from rapidfuzz.distance import Indel

# The site's furniture phrases by category, in order of precedence: when a line runs phrases of several
# categories together, the category reported is the one listed first. A new category is one entry here.
PHRASES: dict[str, tuple[str, ...]] = {
    "analysis-header": ("research analysis", "review analysis", "analysis"),
    "supplementary-open": ("supplementary text click to close", "supplementary text"),
    "supplementary-close": ("close supplementary text",),
    "bite-control": (
        "matrix bite",
        "open matrix bite guide to this cell",
        "open matrix bite guide and commentary",
        "close matrix bite",
        "close matrix bite guide and commentary",
        "open matrix bite",
    ),
    "cell-header": (
        "matrix cell",
        "matrix cell logo",
        "matrix row",
        "matrix row logo",
        "matrix logo",
        "drug treatment matrix matrix logo",
        "alcohol treatment matrix matrix logo",
    ),
    "legend": (
        "s seminal studies",
        "k key studies",
        "r reviews",
        "g guidance",
        "seminal studies",
        "key studies",
        "reviews",
        "guidance",
        "more search for more studies",
        "search for more studies",
    ),
    "help-line": (
        "links to other documents",
        "hover over for notes",
        "hover over",
        "for notes",
        "click to highlight passage referred to",
        "click to highlight",
        "passage referred to",
        "unfold extra text",
        "unfold supplementary text",
        "unfold",
    ),
    "menu": ("home", "search", "browse", "hot topics", "matrices", "about", "help", "contact"),
    "site-header": ("drug & alcohol findings", "drug and alcohol findings", "effectiveness bank web site"),
    "matrix-nav": (
        "alcohol treatment matrix",
        "effectiveness bank alcohol treatment matrix",
        "includes brief interventions",
        "drug treatment matrix",
        "effectiveness bank drug treatment matrix",
        "includes harm reduction",
        "about the matrices",
        "effectiveness bank matrices",
        "articles slides and video",
        "drug matrix",
        "alcohol matrix",
        "drugs matrix",
        "return to/go to drugs matrix",
        "return to/go to alcohol matrix",
        "return to/go to drug matrix",
        "return to alcohol treatment matrix",
        "return to drug treatment matrix",
    ),
    "funding": (
        "2020/21 update funded by",
        "2019/20 update funded by",
        "update funded by",
        "funded by",
        "alcohol change uk",
        "alcohol change uk web site",
        "previously also funded by",
        "development also funded by",
        "society for the study of addiction",
        "society for the study of addiction web site",
        "developed with",
        "skills consortium web site",
        "supported by alcohol research uk web site",
        "alcohol research uk",
        "first bites funded by",
        "federation of drug and alcohol professionals web site",
    ),
    "page-controls": (
        "comment/query",
        "comment/query to editor",
        "send email for updates",
        "about updates",
        "send",
        "tweet",
        "title and link for copying",
        "copy title and link",
        "opens new window",
        "opens a new window",
        "suggest a new document to add to this cell",
        "open effectiveness bank home page",
        "add your name to the mailing list",
        "to be alerted to new studies and other site updates",
        "add your name to the mailing list to be alerted to new studies and other site updates",
        "effectiveness bank home page",
        "unable to obtain a copy by clicking title",
        "try this alternative source",
        "key points icon",
        "print",
        "share",
    ),
}


# Line openings that are furniture but not a plain run of phrases; a run of phrases may follow them on the
# same line ("One of 25 cells in the Alcohol Treatment Matrix Matrix cell logo").
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "legend",
        re.compile(
            r"^s\s*seminal studies\s*k\s*key studies\s*r\s*reviews\s*g\s*guidance\s*"
            r"(?:more\s*search for more studies)?\b"
        ),
    ),
    ("cell-header", re.compile(r"^one of \d+ cells in the (?:alcohol|drugs?) (?:treatment )?matrix\b")),
    ("matrix-nav", re.compile(r"^includes?:? \S{2,}$")),
    ("site-header", re.compile(r"^(?:©|copyright)\b.{0,120}$")),
    ("help-line", re.compile(r"^links to other documents\b.{0,160}$")),
    ("page-controls", re.compile(r"^unable to obtain a copy by clicking title\b.{0,120}$")),
)

# Any of the openings at all, in one match: most lines have none, and then the patterns are not tried one by one.
_ANY_OPENING = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in PATTERNS))
_TOKEN = re.compile(r"[\w&/#@+'’-]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_MAX_LINE = 200


def tokens(line: str) -> tuple[str, ...]:
    """Lower-case words; words run together by a lost space ("windowAnalysis") are split."""
    line = _CAMEL.sub(" ", line).replace("’", "'")
    return tuple(t.strip("'-").lower() for t in _TOKEN.findall(line) if t.strip("'-"))


@cache
def _precedence() -> dict[str, int]:
    return {category: rank for rank, category in enumerate(PHRASES)}


@cache
def _phrase_index() -> tuple[tuple[tuple[str, ...], str], ...]:
    seen: dict[tuple[str, ...], str] = {}
    for category, phrases in PHRASES.items():
        for phrase in phrases:
            seen.setdefault(tokens(phrase), category)
    return tuple(sorted(seen.items(), key=lambda kv: -len(kv[0])))


def _word_matches(word: str, target: str, last: bool, after: int) -> bool:
    """A word of a line stands for a word of a phrase: equal, garbled, or (last word) cut short.

    A cut word may be a single letter only after two matched words ("Society for the S").
    """
    if word == target:
        return True
    if (
        last
        and (len(word) >= 2 or after >= 2)
        and (target.startswith(word) or (len(word) >= 4 and target.startswith(word[:-1])))
    ):
        return True
    return len(word) >= 7 and Indel.normalized_similarity(word, target) >= 0.8


@cache
def _by_first_word() -> dict[str, tuple[tuple[tuple[str, ...], int, str], ...]]:
    """Phrases grouped by their first word, longest first, so a segment only tries phrases that can start it."""
    groups: dict[str, list] = {}
    for phrase, category in _phrase_index():
        groups.setdefault(phrase[0], []).append((phrase, len(phrase), category))
    return {word: tuple(group) for word, group in groups.items()}


def _segment(words: tuple[str, ...]) -> str | None:
    """If `words` is exactly a run of whole phrases, the most telling of their categories."""
    n = len(words)
    found: list[tuple[str, ...] | None] = [None] * (n + 1)
    found[n] = ()
    starting = _by_first_word()
    for i in range(n - 1, -1, -1):
        for phrase, size, category in starting.get(words[i], ()):
            rest = found[i + size] if i + size <= n else None
            if rest is not None and words[i : i + size] == phrase:
                found[i] = (category, *rest)
                break
    return min(found[0], key=_precedence().__getitem__) if found[0] else None


def _fragment(words: tuple[str, ...], context: str | None) -> str | None:
    """Category when `words` is a damaged piece of one phrase.

    On its own, a piece counts when it is the whole phrase garbled, or its start cut mid-word
    ("Society for the S"). After furniture on the line before in the same block, any piece of a
    phrase counts; after a furniture block, a piece from inside a phrase ("of Addiction").
    """
    for phrase, start, category in _openings(words[0], len(words) == 1, context is not None):
        if not _in_order(words, phrase[start:]):
            continue
        cut = words[-1] not in phrase
        whole = start == 0 and len(words) == len(phrase)
        if context == "block" or whole or (cut and sum(map(len, words)) >= 5) or (context == "page" and start > 0):
            return category
    return None


@lru_cache(maxsize=8192)
def _openings(word: str, last: bool, anywhere: bool) -> tuple[tuple[tuple[str, ...], int, str], ...]:
    """Where a fragment starting with `word` can begin: (phrase, word position, category), in phrase order."""
    return tuple(
        (phrase, start, category)
        for phrase, category in _phrase_index()
        for start in (range(len(phrase)) if anywhere else (0,))
        if _word_matches(word, phrase[start], last, 0)
    )


def _in_order(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Words match the start of `phrase` in order, skipping at most one phrase word."""
    j, skipped = 0, 0
    for i, word in enumerate(words):
        last = i == len(words) - 1
        while j < len(phrase) and not _word_matches(word, phrase[j], last, i):
            if skipped or i == 0:
                return False
            skipped, j = 1, j + 1
        if j >= len(phrase):
            return False
        j += 1
    return True


# Lines remembered with their category: a site's furniture is the same few hundred lines on every page
LINES_KEPT = 8192


def classify_line(line: str, context: str | None = None) -> str | None:
    """The furniture category of one line, or None when it is content.

    `context` is "block" when the previous line of the same block was furniture, "page" when the
    previous block was, else None.
    """
    stripped = line.strip().strip("▶►|•-–—*[]() ").strip()
    if not stripped or len(stripped) > _MAX_LINE:
        return None
    return _classify_stripped(stripped, context)


@lru_cache(maxsize=LINES_KEPT)
def _classify_stripped(stripped: str, context: str | None) -> str | None:
    """classify_line of a line stripped of white space and bullets, short enough to be furniture."""
    lowered = stripped.lower()
    for category, pattern in PATTERNS if _ANY_OPENING.match(lowered) else ():
        m = pattern.match(lowered)
        if not m:
            continue
        rest = tokens(lowered[m.end() :])
        if not rest:
            return category
        if following := _segment(rest):
            return min(category, following, key=_precedence().__getitem__)
    words = tokens(stripped)
    if not words:
        return "page-controls" if context else None
    if len(words) > 30:
        return None
    return _segment(words) or _fragment(words, context)


def classify_block(text: str, after_furniture: bool = False) -> str | None:
    """A block is furniture if it reads as furniture whole, or every one of its lines does."""
    context = "page" if after_furniture else None
    whole = classify_line(text.replace("\n", " "), context)
    if whole or "\n" not in text:
        return whole
    category = None
    for line in text.split("\n"):
        found = classify_line(line, "block" if category else context)
        if not found:
            return None
        category = category or found
    return category
