"""Bytes to text: byte-order marks, then the charset the server declared (if known), then UTF-8, then
what the page declares, then a best guess."""
from __future__ import annotations

import codecs
import re
from email.message import Message

from bs4.dammit import UnicodeDammit

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)


def decode(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """Return (text, encoding name). `charset` is the one an HTTP Content-Type header declared: it
    outranks the page's own <meta>, as in a browser."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    if charset and known_charset(charset):
        try:
            return data.decode(charset), codecs.lookup(charset).name
        except UnicodeDecodeError:
            pass
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


def known_charset(name: str | None) -> bool:
    try:
        return bool(name) and bool(codecs.lookup(name))
    except LookupError:
        return False


def meta_charset(data: bytes) -> str | None:
    """The charset a page's <meta> declares in its first 4 KiB, if any."""
    m = _META.search(data[:4096])
    return m.group(1).decode("ascii", "ignore") if m else None


def header_charset(content_type: str | None) -> str | None:
    """The charset an HTTP Content-Type header declares, if it is one Python knows."""
    msg = Message()
    msg["content-type"] = content_type or "application/octet-stream"
    name = msg.get_param("charset")
    name = name.strip().strip("'\"") if isinstance(name, str) else None
    return name if known_charset(name) else None
