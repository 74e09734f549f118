"""One identity per cited work, across cells that word its title differently.

Two entries in different cells are the same work when their hrefs agree, or else when they share
a year and:
- their titles nearly agree (rapidfuzz ratio ≥ 90), or
- no issuer is named, and titles overlap strongly (token-set ≥ 75) and annotations agree (≥ 70), or
- both name the same issuer (≥ 90), and the annotations agree (≥ 70): guidance is often retitled
  from cell to cell, but its issuer and description stay.
Sharing only a year, an issuer or a word is never enough. Matches are joined transitively; each
entry records the method and score of its strongest match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.runtime.ids import stable_id

TITLE_SAME = 90
TITLE_OVERLAP = 75
ANNOTATION_SAME = 70
ISSUER_SAME = 90


@dataclass(frozen=True)
class WorkKey:
    entry_id: str
    cell_id: str
    title: str
    years: tuple[int, ...]
    issuer: str | None
    annotation: str
    href: str | None


def normalise(text: str | None) -> str:
    """Lower case, straight quotes, no bracketed prefixes, single spaces: what captures of one text share."""
    text = (text or "").lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(re.sub(r"\[[^\]]*\]", " ", text).split())


def match(a: WorkKey, b: WorkKey) -> tuple[str, float] | None:
    """How `a` and `b` are the same work, with the score that decided it; None when they are not."""
    if a.href and b.href:
        return ("href", 100.0) if a.href == b.href else None
    if not set(a.years) & set(b.years):
        return None
    title = fuzz.ratio(normalise(a.title), normalise(b.title))
    if title >= TITLE_SAME:
        return "title", title
    annotation = fuzz.token_set_ratio(normalise(a.annotation), normalise(b.annotation))
    if a.issuer and b.issuer:
        issuer = fuzz.token_set_ratio(normalise(a.issuer), normalise(b.issuer))
        if issuer >= ISSUER_SAME and annotation >= ANNOTATION_SAME:
            return "issuer+annotation", min(issuer, annotation)
        return None
    if a.issuer or b.issuer:
        return None
    overlap = fuzz.token_set_ratio(normalise(a.title), normalise(b.title))
    if overlap >= TITLE_OVERLAP and annotation >= ANNOTATION_SAME:
        return "title+annotation", min(overlap, annotation)
    return None


def assign_works(keys: list[WorkKey]) -> dict[str, tuple[str, str, float]]:
    """entry_id → (work_id, method, score); method "unique" (score 0) for a work listed once."""
    parent = {k.entry_id: k.entry_id for k in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best: dict[str, tuple[str, float]] = {}
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if a.cell_id == b.cell_id:
                continue
            found = match(a, b)
            if not found:
                continue
            parent[find(a.entry_id)] = find(b.entry_id)
            for k in (a.entry_id, b.entry_id):
                if found[1] > best.get(k, ("", -1.0))[1]:
                    best[k] = found
    groups: dict[str, list[str]] = {}
    for k in keys:
        groups.setdefault(find(k.entry_id), []).append(k.entry_id)
    out = {}
    for members in groups.values():
        work_id = f"work-{stable_id(min(members))}"
        for m in members:
            method, score = best.get(m, ("unique", 0.0))
            out[m] = (work_id, method, round(score, 1))
    return out
