"""Bytes to text: byte-order marks, then the charset the server declared (if known), then UTF-16
without a mark, then UTF-8, then what the page declares, then Windows-1252, then Latin-1.
Mojibake left by an earlier wrong decoding ("â€™", "‚Äô") is repaired with ftfy."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from email.message import Message
from functools import cache

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)


def decode(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """Return (text, encoding name). `charset` is the one an HTTP Content-Type header declared: it
    outranks the page's own <meta>, as in a browser."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    candidates = [charset] if charset and known_charset(charset) else []
    candidates += _utf16_guess(data) + ["utf-8"]
    declared = meta_charset(data)
    if declared and known_charset(declared):
        candidates.append(declared)
    for name in candidates:
        try:
            return data.decode(name), codecs.lookup(name).name
        except UnicodeDecodeError:
            continue
    if _UTF8_SEQUENCE.search(data):  # UTF-8 with Windows-1252 bytes mixed in (a page edited piecemeal)
        try:
            from bs4.dammit import UnicodeDammit  # loaded only for the rare page that needs it

            return UnicodeDammit.detwingle(data).decode("utf-8"), "utf-8+cp1252"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "iso8859-1"


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


def _utf16_guess(data: bytes) -> list[str]:
    """UTF-16 without a byte-order mark: mostly-ASCII text leaves a NUL in every other byte."""
    sample = data[:4000]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return []
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return ["utf-16-le"] if odd > 3 * even else ["utf-16-be"] if even > 3 * odd else []


# ftfy repairs text decoded the wrong way; its fixes that would change what the page printed are off
# (entities, ligatures, full-width forms, curly quotes, line breaks), and inline.py normalises (NFC)
_AS_PRINTED = ("unescape_html", "fix_latin_ligatures", "fix_character_width", "uncurl_quotes", "fix_line_breaks")


@cache
def _fixer() -> Callable[[str], str]:
    """ftfy, loaded only for a page with mojibake (most have none, and loading it takes longer than reading one)."""
    import ftfy

    config = ftfy.TextFixerConfig(normalization=None, explain=False, **dict.fromkeys(_AS_PRINTED, False))
    return lambda text: ftfy.fix_text(text, config)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


_C0 = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # _CONTROL's C0 characters, as bytes
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")  # _CONTROL's C1 characters in UTF-8 (\xc2 is only ever a lead byte)


def _has_controls(text: str, utf8: bytes | None) -> bool:
    """Whether _CONTROL matches, without its character-class scan (most pages have no control character):
    in UTF-8 a C0 control is its own byte, which bytes.translate deletes at memory speed."""
    data = text.encode("utf-8", "surrogatepass") if utf8 is None else utf8
    return len(data.translate(None, _C0)) != len(data) or _C1_UTF8.search(data) is not None


def repair(text: str, utf8: bytes | None = None) -> tuple[str, bool, int]:
    """(text with mojibake repaired and control characters removed, whether anything was repaired,
    how many control characters were removed). `utf8`: the bytes `text` was decoded from as UTF-8
    (strictly), if it was; they hold the same control characters, and the text is not encoded again
    to find them (line ends made "\n" since change none: CR and LF are not among them)."""
    cleaned, removed = _CONTROL.subn("", text) if _has_controls(text, utf8) else (text, 0)
    # the hint needs one of its lead characters or a C1 control, and _CONTROL counts every C1 control:
    # most pages have neither, so the hint's own (slow, character-class) scan is skipped for them
    if not removed and not any(lead in text for lead in _MOJIBAKE_LEADS):
        return cleaned, False, 0
    if not _MOJIBAKE_HINT.search(text):
        return cleaned, False, removed
    fixed = _fixer()(text)
    cleaned, removed = _CONTROL.subn("", fixed)
    return cleaned, fixed != text, removed


_MOJIBAKE_LEADS = "ÂÃâ€‚Ä"  # what a UTF-8 lead byte becomes when read as Windows-1252, Latin-1 or Mac Roman
_MOJIBAKE_HINT = re.compile(rf"[{_MOJIBAKE_LEADS}][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|[\x80-\x9f]")


def known_charset(name: str | None) -> bool:
    """A text encoding Python knows; bytes-to-bytes codecs (base64, zlib, hex) are not charsets."""
    if not name:
        return False
    try:
        b"a".decode(name)  # (b"" would not do: decoding nothing never consults the codec)
    except UnicodeDecodeError:  # a text encoding that cannot decode one byte alone (UTF-16)
        return True
    except LookupError:
        return False
    return True


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
