"""Issuers as one canonical name each, the printed text kept beside it.

The printed issuer loses a trailing bracketed abbreviation and a "Report produced for the …"
preamble; a kind of document printed in the issuer's place (`Cochrane review`) is not an issuer.
Spellings of one body that differ only in case or a letter or two are then grouped with rapidfuzz,
and each group is named by its most frequent spelling (ties: the first in sorted order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from pipeline.site import issuers as vocabulary

SAME_BODY = 95  # rapidfuzz ratio on case-folded names: case and spelling variants of one body


@dataclass(frozen=True)
class Issuer:
    name: str | None  # the canonical body
    document_kind: str | None  # a kind of document printed where the issuer stands


def stripped(printed: str | None) -> Issuer:
    """The printed issuer without its preamble and abbreviation, or the document kind it really is."""
    if not printed:
        return Issuer(None, None)
    text = " ".join(printed.split())
    if vocabulary.DOCUMENT_KINDS.match(text):
        return Issuer(None, text)
    text = vocabulary.ABBREVIATION.sub("", vocabulary.COMMISSIONED.sub("", text))
    return Issuer(text or None, None)


def canonical_names(printed: list[str | None]) -> dict[str, Issuer]:
    """Every printed issuer → its canonical issuer, over one run's references."""
    bare = {p: stripped(p) for p in sorted({p for p in printed if p})}
    counts = Counter(name for p in printed if p and (name := bare[p].name))
    ranked = sorted(counts, key=lambda n: (-counts[n], n))
    names: dict[str, str] = {}
    chosen: list[str] = []
    for name in ranked:
        hit = process.extractOne(
            name, chosen, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=SAME_BODY
        )
        names[name] = hit[0] if hit else name
        if not hit:
            chosen.append(name)
    return {p: Issuer(names[i.name] if i.name else None, i.document_kind) for p, i in bare.items()}
