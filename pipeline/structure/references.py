"""The site's reference forms: "(1988)", "(1997 and 2000)", "(2014; free source at time of writing)",
"([UK] Home Office, 1999)", "(Cochrane review, 2011)", "([UK] National Institute … [NICE], 2007)"."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.model import Reference
from pipeline.site.rules import YEAR_FORM

_YEAR = YEAR_FORM
_YEARS = rf"{_YEAR}[a-z]?(?:\s*(?:,|and|&|–|-|/)\s*{_YEAR}[a-z]?)*"
_REFERENCE = re.compile(
    rf"^(?:\[(?P<jurisdiction>[^\]]{{1,40}})\]\s*)?(?:(?P<issuer>.+?),\s*)?(?P<years>{_YEARS})"
    rf"(?:\s*;\s*(?P<note>.+))?$",
    re.S,
)
_YEAR_IN = re.compile(_YEAR)
_DATED_PHRASE = re.compile(r"\b(?:in|since|from|by|before|after|until|circa|c\.)$", re.I)  # "(in 1998)": not an issuer
_PAREN = re.compile(r"\(((?:[^()]|\([^()]*\))*)\)")


# References remembered by their text: an entry's own reference is read again with the body's others, and
# a work listed in several cells (or captured again) carries the same reference each time
REFERENCES_KEPT = 4096
_Read = tuple[str, tuple[int, ...], str | None, str | None, str | None]  # text, years, issuer, jurisdiction, note


def parse_reference(inner: str, start: int = 0, end: int = 0) -> Reference | None:
    """Read the inside of a parenthesised reference; None when it is not one. One without a year never is
    (joining its words again cannot make one), and is not remembered."""
    read = _read(inner) if _YEAR_IN.search(inner) else None
    if read is None:
        return None
    text, years, issuer, jurisdiction, note = read
    return Reference(text, years[0], list(years), issuer, jurisdiction, note, start, end)


@lru_cache(maxsize=REFERENCES_KEPT)
def _read(inner: str) -> _Read | None:
    text = " ".join(inner.split())
    m = _REFERENCE.match(text)
    if not m:
        return None
    years = tuple(int(y) for y in _YEAR_IN.findall(m.group("years")))
    issuer = m.group("issuer")
    if issuer is not None and _DATED_PHRASE.search(issuer):
        return None
    jurisdiction = m.group("jurisdiction")
    if jurisdiction and issuer is None:
        return None
    return (
        text,
        years,
        issuer.strip() if issuer else None,
        jurisdiction.strip() if jurisdiction else None,
        m.group("note").strip().rstrip(".") if m.group("note") else None,
    )


def find_references(text: str) -> list[Reference]:
    """Every parenthesised reference in running text, in order."""
    if "(" not in text:
        return []
    found = []
    for m in _PAREN.finditer(text):
        ref = parse_reference(m.group(1), m.start(), m.end())
        if ref:
            found.append(ref)
    return found
