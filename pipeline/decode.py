"""Bytes to text: byte-order marks, then UTF-8, then what the page declares, then a best guess."""
from __future__ import annotations

import codecs
import re

from bs4.dammit import UnicodeDammit

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _META.search(data[:4096])
    guesses = [declared.group(1).decode("ascii", "ignore")] if declared else []
    dammit = UnicodeDammit(data, known_definite_encodings=guesses, is_html=bool(declared))
    if dammit.unicode_markup is not None and dammit.original_encoding:
        return dammit.unicode_markup, dammit.original_encoding
    return data.decode("cp1252", errors="replace"), "cp1252"
