"""The two treatment matrices' fixed structure: axes, cell codes and how cell pages are addressed."""

from __future__ import annotations

import re
from urllib.parse import unquote

MATRICES = ("alcohol", "drug")
COLUMNS = {
    "A": "Interventions",
    "B": "Practitioners",
    "C": "Management/supervision",
    "D": "Organisational functioning",
    "E": "Treatment systems",
}
ROWS = {
    "alcohol": {
        1: "Screening and brief intervention",
        2: "Generic and cross-cutting issues",
        3: "Medical treatment",
        4: "Psychosocial therapies",
        5: "Safeguarding the community",
    },
    "drug": {
        1: "Reducing harm",
        2: "Generic and cross-cutting issues",
        3: "Medical treatment",
        4: "Psychosocial therapies",
        5: "Safeguarding the community",
    },
}

_COLUMN_BY_LABEL = {label.lower(): code for code, label in COLUMNS.items()}
_CELL_URL = re.compile(r"Matrix/(Alcohol|Drugs?)/([A-E][1-5])\.html?\b", re.I)


def matrix_name(word: str) -> str:
    """ "Alcohol" → "alcohol"; "Drug", "Drugs" → "drug"."""
    return "alcohol" if word.lower().startswith("alc") else "drug"


def cell_id(matrix: str, code: str) -> str:
    return f"{matrix}-{code[0].upper()}{code[1]}"


ALL_CELLS = tuple(cell_id(m, f"{c}{r}") for m in MATRICES for c in COLUMNS for r in ROWS[m])  # the 50 cells


def column_code(label: str) -> str | None:
    return _COLUMN_BY_LABEL.get(label.strip().rstrip(".;:").lower())


def row_code(matrix: str | None, label: str) -> int | None:
    wanted = label.strip().rstrip(".;:").lower()
    for name in [matrix] if matrix else MATRICES:
        for code, row_label in ROWS[name].items():
            if row_label.lower() == wanted:
                return code
    return None


def cell_from_url(url: str | None) -> str | None:
    """The cell a URL addresses, whatever its query string (dl.php?file=…, ?f=…%2F…, download.php)."""
    if not url:
        return None
    m = _CELL_URL.search(unquote(unquote(url)))
    return cell_id(matrix_name(m.group(1)), m.group(2)) if m else None
