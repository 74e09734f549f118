"""The site's reference forms: "(1988)", "(1997 and 2000)", "(2014; free source at time of writing)",
"([UK] Home Office, 1999)", "(Cochrane review, 2011)", "([UK] National Institute … [NICE], 2007)"."""

from __future__ import annotations

import re

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


def parse_reference(inner: str, start: int = 0, end: int = 0) -> Reference | None:
    """Read the inside of a parenthesised reference; None when it is not one."""
    text = " ".join(inner.split())
    m = _REFERENCE.match(text)
    if not m:
        return None
    years = [int(y) for y in _YEAR_IN.findall(m.group("years"))]
    issuer = m.group("issuer")
    if issuer is not None and _DATED_PHRASE.search(issuer):
        return None
    jurisdiction = m.group("jurisdiction")
    if jurisdiction and issuer is None:
        return None
    return Reference(
        text=text,
        year=years[0],
        years=years,
        issuer=issuer.strip() if issuer else None,
        jurisdiction=jurisdiction.strip() if jurisdiction else None,
        note=m.group("note").strip().rstrip(".") if m.group("note") else None,
        start=start,
        end=end,
    )


def find_references(text: str) -> list[Reference]:
    """Every parenthesised reference in running text, in order."""
    found = []
    for m in _PAREN.finditer(text):
        ref = parse_reference(m.group(1), m.start(), m.end())
        if ref:
            found.append(ref)
    return found
