"""Tells a capture's format from its content, never from its file name."""

from __future__ import annotations

import re

_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.I)
_PROLOGUE = re.compile(r"\s*(?:<!--.*?-->|<\?[^>]*>|<!doctype(?!\s+html)[^>]*>)?", re.I | re.S)
_HTML_TAG = re.compile(r"</?(?:p|div|table|td|tr|span|a|br|li|ul|h[1-6]|body|b|i|em|strong)\b[^>]*>", re.I)
_MD_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)")
_MD_HEADING = re.compile(r"^#{1,6} \S", re.M)
_MD_ESCAPE = re.compile(r"\\[\\`*_{}\[\]()#+\-.!|]")  # converters backslash-escape punctuation
_MD_EMPHASIS = re.compile(r"\*\*[^*\n]+\*\*|(?<![*\w])\*[^*\s][^*\n]*\*(?![*\w])")


def detect_format(text: str) -> str:
    """Return "html", "markdown" or "text"."""
    if _HTML_START.match(text, _past_prologue(text)):
        return "html"
    sample = text[:200_000]
    tags = len(_HTML_TAG.findall(sample))
    if tags >= 5 and tags * 40 > len(sample.split()):
        return "html"
    markers = (
        len(_MD_LINK.findall(sample)) * 2
        + len(_MD_HEADING.findall(sample)) * 2
        + len(_MD_EMPHASIS.findall(sample))
        + len(_MD_ESCAPE.findall(sample)) // 3
    )
    return "markdown" if markers >= 2 else "text"


def _past_prologue(text: str) -> int:
    """Where the first tag after leading comments, an XML declaration and white space starts: a page may
    open with a comment of any length (a licence, a build note) before its <html>."""
    at = 0
    while (found := _PROLOGUE.match(text, at)) and found.end() > at:
        at = found.end()
    return at
