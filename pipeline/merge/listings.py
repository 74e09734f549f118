"""Whether two listings of an entry, in two captures or two revisions of a cell, are one work, and what
changed between them. Merge folds captures by these; the history tells a work's intervals by them."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from pipeline.model import Entry
from pipeline.publish.works import WorkKey, match, normalise

_SAME_TITLE = 88
TITLE_KEYS_KEPT = 4096  # titles whose key is kept: folding a cell compares the same ones again and again
Difference = Literal["retitled", "retagged", "re-annotated"]


def _key(entry: Entry) -> str:
    return _title_key(entry.title)


@lru_cache(maxsize=TITLE_KEYS_KEPT)
def _title_key(title: str) -> str:
    return " ".join(title.lower().split())


def same_entry(a: Entry, b: Entry) -> bool:
    """The same entry in two captures of one cell: a cut-off entry by the start of its title, others by
    year and nearly the same title."""
    year_a = a.reference.year if a.reference else None
    year_b = b.reference.year if b.reference else None
    if a.cut_off or b.cut_off:
        shorter, longer = sorted((_key(a), _key(b)), key=len)
        return bool(shorter) and longer.startswith(shorter[: max(len(shorter) - 2, 1)])
    return year_a == year_b and fuzz.ratio(_key(a), _key(b)) >= _SAME_TITLE


def same_listing(a: Entry, b: Entry) -> bool:
    """Two listings of one work say the same, in what both show in full."""
    return not differences(a, b)


def differences(a: Entry, b: Entry) -> list[Difference]:
    """What changed from listing `a` to listing `b` of one work, in words (not case, quote style or
    spacing, which differ between copies of one page). Text cut off in either is not compared, nor tag
    letters inferred in either."""
    found: list[Difference] = []
    if not (a.cut_off or b.cut_off) and normalise(a.title) != normalise(b.title):
        found.append("retitled")
    if not (a.types_inferred or b.types_inferred) and a.types != b.types:
        found.append("retagged")
    if not (a.cut_off or b.cut_off) and normalise(a.annotation) != normalise(b.annotation):
        found.append("re-annotated")
    return found


def same_work(a: Entry, b: Entry) -> bool:
    """Two listings of one work in different revisions of a cell: the same entry as merge tells it
    (`same_entry`), or the same work as works.py tells it across cells (href, title, annotation)."""
    if same_entry(a, b):
        return True
    ra, rb = a.reference, b.reference
    if not (address(a) and address(b)) and not (ra and rb and not set(ra.years).isdisjoint(rb.years)):
        return False  # what `match` asks first, without building keys: the same address or a shared year
    return match(_work_key(a), _work_key(b)) is not None


def address(e: Entry) -> str | None:
    """The address the entry's title links to; None for none, a placeholder or an in-page link, which
    name no work."""
    href = e.title_href
    return href if href and not href.startswith("#") else None


def _work_key(e: Entry) -> WorkKey:
    ref = e.reference
    return WorkKey(
        "", "", e.title, tuple(ref.years) if ref else (), ref.issuer if ref else None, e.annotation, address(e)
    )
