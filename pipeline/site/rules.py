"""The published contract's constants, each defined once: the parsers find what they allow, and the
validator checks every row against the same values."""

from __future__ import annotations

import re
from datetime import date

from pipeline.site.matrix import ALL_CELLS

FIRST_YEAR = 1900  # the Effectiveness Bank's oldest documents are from the 20th century
YEARS_AHEAD = 1  # a document may carry next year's date (in press)
YEAR_FORM = r"(?:1[89]\d\d|20\d\d)"  # what reads as a year in a reference; `year_ok` decides if it is plausible
TAG_LETTERS = "SKRG"  # seminal study, key study, review, guidance: the order the site lists them in
# A line holding only an entry's tag letters ("S", "S G"): the newest layout puts them on the line above the entry.
TAG_LINE = re.compile(rf"^[{TAG_LETTERS}](?:[ ,/]+[{TAG_LETTERS}])?$")
CELLS = frozenset(ALL_CELLS)  # a cell id anywhere in the tables is one of the 50


def last_year(today: date | None = None) -> int:
    return (today or date.today()).year + YEARS_AHEAD


def year_ok(year: int, today: date | None = None) -> bool:
    return FIRST_YEAR <= year <= last_year(today)
