"""One identity per cited work, across cells that word its title differently.

Two entries in different cells are the same work when their hrefs agree, or else when they share
a year and:
- their titles nearly agree (rapidfuzz ratio ≥ 90), or
- no issuer is named, and titles overlap strongly (token-set ≥ 75) and annotations agree (≥ 70), or
- both name the same issuer (≥ 90), and the annotations agree (≥ 70): guidance is often retitled
  from cell to cell, but its issuer and description stay.
Sharing only a year, an issuer or a word is never enough. Matches are joined transitively; each
entry records the method and score of its strongest match.

A work's id is a hash of the smallest of its members' own keys (normalised title, years, occurrence
in its cell), never of cell ids or of other works: it stays as it is while captures of cells that do
not list the work come and go, and while a cell listing it under the same wording is added or
removed. Two works whose smallest keys coincide are told apart by a hash of all their members.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz

from pipeline.runtime.ids import stable_id

TITLE_SAME = 90
TITLE_OVERLAP = 75
ANNOTATION_SAME = 70
ISSUER_SAME = 90
NORMALISED_KEPT = 4096  # texts whose normal form is kept: merging a cell compares the same ones again and again
_BRACKETED = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class WorkKey:
    entry_id: str
    cell_id: str
    title: str
    years: tuple[int, ...]
    issuer: str | None
    annotation: str
    href: str | None
    occurrence: int = 1  # the how-manieth entry of this title and year in its cell


@lru_cache(maxsize=NORMALISED_KEPT)
def normalise(text: str | None) -> str:
    """Lower case, straight quotes, no bracketed prefixes, single spaces: what captures of one text share."""
    text = (text or "").lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(_BRACKETED.sub(" ", text).split())


def own_key(k: WorkKey) -> tuple[str, str, int]:
    """What identifies one listing whatever cell it is in."""
    return normalise(k.title), ",".join(map(str, k.years)), k.occurrence


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
    """entry_id → (work_id, method, score); method "unique" (score 0) for a work listed once. Keys that
    say the same (one work listed alike in many cells) are compared as one listing, and only listings
    that could match are compared: those that share a year or an address."""
    parent = {k.entry_id: k.entry_id for k in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    alike: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        alike.setdefault((k.title, k.years, k.issuer, k.annotation, k.href), []).append(i)
    listings = list(alike.values())  # each the indexes of its keys, in order
    matched: dict[int, list[tuple[int, tuple[str, float]]]] = defaultdict(list)
    for c, d in sorted(_comparable([keys[first] for first, *_ in listings])):
        found = match(keys[listings[c][0]], keys[listings[d][0]])
        if found:
            matched[c].append((d, found))
            if d != c:
                matched[d].append((c, found))
            for a in listings[c]:
                for b in listings[d]:
                    if (c != d or a < b) and keys[a].cell_id != keys[b].cell_id:
                        parent[find(keys[a].entry_id)] = find(keys[b].entry_id)
    best: dict[str, tuple[str, float]] = {}
    for c, alike_keys in enumerate(listings):
        for a in alike_keys:
            # the strongest match, the first partner (in key order) on a tie
            partners = (
                (found, b)
                for d, found in matched[c]
                for b in listings[d]
                if b != a and keys[b].cell_id != keys[a].cell_id
            )
            strongest = min(partners, key=lambda p: (-p[0][1], p[1]), default=None)
            if strongest:
                best[keys[a].entry_id] = strongest[0]
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(find(key.entry_id), []).append(key.entry_id)
    by_entry = {k.entry_id: k for k in keys}
    own = {root: min(own_key(by_entry[m]) for m in members) for root, members in groups.items()}
    clashes = Counter(own.values())
    out = {}
    for root, members in groups.items():
        work_id = f"work-{stable_id(*own[root]) if clashes[own[root]] == 1 else stable_id(*sorted(members))}"
        for m in members:
            method, score = best.get(m, ("unique", 0.0))
            out[m] = (work_id, method, round(score, 1))
    return out


def _comparable(listings: list[WorkKey]) -> set[tuple[int, int]]:
    """Pairs (i ≤ j) of listings that `match` could join: the same address, or a shared year."""
    by: dict[object, list[int]] = defaultdict(list)
    for i, k in enumerate(listings):
        if k.href:
            by[k.href].append(i)
        for year in set(k.years):
            by[year].append(i)
    return {(c, d) for group in by.values() for x, c in enumerate(group) for d in group[x:]}


TAG_ORDER = "SKRG"  # the order the site lists its tags in


def work_rows(entries: list[dict], cells: list[dict]) -> list[dict]:
    """One row per work. Its title, year and issuer are those of its listing in the most recently
    revised cell (a cell never dated counts as oldest; ties go to the first cell id, then position)."""
    revised = {c["cell_id"]: c["last_revised"] for c in cells}
    members: dict[str, list[dict]] = {}
    for e in entries:
        members.setdefault(e["work_id"], []).append(e)
    rows = []
    for work_id, listed in members.items():
        listed.sort(key=lambda e: (e["cell_id"], e["position"]))
        lead = max(listed, key=lambda e: (revised[e["cell_id"]] or date.min, _reverse(e["cell_id"]), -e["position"]))
        cells_listing = sorted({e["cell_id"] for e in listed})
        rows.append(
            {
                "work_id": work_id,
                "title": lead["title"],
                "year": lead["year"],
                "issuer": lead["issuer"] or next((e["issuer"] for e in listed if e["issuer"]), None),
                "types": [t for t in TAG_ORDER if any(t in e["types"] for e in listed)],
                "cell_ids": cells_listing,
                "matrices": sorted({c.split("-")[0] for c in cells_listing}),
                "entry_count": len(listed),
                "titles": sorted({e["title"] for e in listed}),
                "document_id": next((e["document_id"] for e in listed if e["document_id"]), None),
                "match_methods": sorted({e["work_method"] for e in listed}),
                "title_from": lead["entry_id"],
            }
        )
    return rows


def _reverse(text: str) -> str:
    """Sorts in the opposite order of `text` (so max() picks the first cell id)."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)
