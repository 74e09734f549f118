"""Tells a capture's format from its content, never from its file name."""

from __future__ import annotations

import re

from pipeline.model import ReadFormat

_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.I)
_PROLOGUE = re.compile(r"\s*(?:<!--.*?-->|<\?[^>]*>|<!doctype(?!\s+html)[^>]*>)?", re.I | re.S)
_HTML_TAG = re.compile(r"</?(?:p|div|table|td|tr|span|a|br|li|ul|h[1-6]|body|b|i|em|strong)\b[^>]*>", re.I)
_MD_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)")
_MD_HEADING = re.compile(r"^#{1,6} \S", re.M)
_MD_ESCAPE = re.compile(r"\\[\\`*_{}\[\]()#+\-.!|]")  # converters backslash-escape punctuation
# **strong** or *em* not inside a word; the shared "*" comes first so the scan can skip to each "*"
# (a leading look-behind made it try every position)
_MD_EMPHASIS = re.compile(r"\*(?:\*[^*\n]+\*\*|(?<![*\w]\*)[^*\s][^*\n]*\*(?![*\w]))")


def detect_format(text: str) -> ReadFormat:
    if _HTML_START.match(text, _past_prologue(text)):
        return "html"
    sample = text[:200_000]
    tags = len(_HTML_TAG.findall(sample)) if "<" in sample else 0
    if tags >= 5 and tags * 40 > len(sample.split()):
        return "html"
    return "markdown" if _markdown_markers(sample) >= _MARKDOWN_MARKERS else "text"


_MARKDOWN_MARKERS = 2
# (pattern, a string every match contains, weight, matches per marker), cheapest scan first: a page
# without the string skips that scan, and counting stops once the threshold is reached
_MARKER_PATTERNS = (
    (_MD_LINK, "](", 2, 1),
    (_MD_ESCAPE, "\\", 1, 3),
    (_MD_HEADING, "# ", 2, 1),
    (_MD_EMPHASIS, "*", 1, 1),
)


def _markdown_markers(sample: str) -> int:
    markers = 0
    for pattern, needs, weight, per in _MARKER_PATTERNS:
        if needs in sample:
            markers += weight * (len(pattern.findall(sample)) // per)
            if markers >= _MARKDOWN_MARKERS:
                break
    return markers


def _past_prologue(text: str) -> int:
    """Where the first tag after leading comments, an XML declaration and white space starts: a page may
    open with a comment of any length (a licence, a build note) before its <html>."""
    at = 0
    while (found := _PROLOGUE.match(text, at)) and found.end() > at:
        at = found.end()
    return at
