"""Mentions of other cells in running text: "cell E3", "cell D2's bite", "cells A1 and B2",
"cell D2 of the Alcohol Treatment Matrix". Same matrix unless the text names the other one."""

from __future__ import annotations

import re

from pipeline.model import Mention
from pipeline.site import matrix
from pipeline.structure.hints import hint, lowered_bytes

_MENTION = re.compile(
    r"\bcells?\s+(?P<codes>[A-E][1-5](?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*&\s*)[A-E][1-5])*)"
    r"(?P<bite>['’]s bite)?\b",
    re.I,
)
_CODE = re.compile(r"[A-E][1-5]", re.I)
_AFTER = re.compile(r"^[^.;()]{0,25}?\b(?:of|in) the (Alcohol|Drugs?)\s+(?:Treatment\s+)?Matrix", re.I)
_BEFORE = re.compile(r"\b(Alcohol|Drugs?)\s+(?:Treatment\s+)?Matrix(?:['’]s)?\s*$", re.I)


# Every mention holds this, lower-cased (re.I gives its letters no case variants beyond ASCII capitals):
# a text without it skips the search, and most texts (every entry, nearly) have none
_HINT = hint("cell")


def find_cell_mentions(text: str, own_matrix: str) -> list[Mention]:
    if _HINT not in lowered_bytes(text):
        return []
    found = []
    for m in _MENTION.finditer(text):
        named = _AFTER.match(text[m.end() : m.end() + 80]) or _BEFORE.search(text[max(0, m.start() - 40) : m.start()])
        target_matrix = matrix.matrix_name(named.group(1)) if named else own_matrix
        for code in _CODE.findall(m.group("codes")):
            found.append(Mention(m.start(), m.end(), m.group(0), matrix.cell_id(target_matrix, code.upper())))
    return found
