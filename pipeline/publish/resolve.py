"""Entries to the Effectiveness Bank analysis of the work they list, when that page was captured.

By href when the entry's title link and the page's address name the same file; otherwise the year
must agree and either the titles agree, or the entry's issuer is the document's publisher or author
and the titles share their substance.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlparse

from rapidfuzz import fuzz

TITLE_SAME = 90
ISSUER_IN_SOURCE = 90
TITLE_SHARED = 50


def _file(url: str | None) -> str | None:
    if not url or url.startswith("#"):
        return None
    query = parse_qs(urlparse(url).query)
    name = (query.get("file") or query.get("f") or [urlparse(url).path])[0]
    return unquote(name).rsplit("/", 1)[-1].lower() or None


def _norm(text: str | None) -> str:
    return " ".join(re.sub(r"\[[^\]]*\]", " ", (text or "").lower()).split())


def resolve_document(entry: dict, documents: list[dict]) -> tuple[str | None, str | None]:
    mine = _file(entry["href"])
    if mine:
        for doc in documents:
            if _file(doc["url"]) == mine:
                return doc["document_id"], "href"
    best: tuple[float, str, str] | None = None
    for doc in documents:
        if doc["year"] is None or doc["year"] not in entry["years"]:
            continue
        title = fuzz.token_set_ratio(_norm(entry["title"]), _norm(doc["title"]))
        if title >= TITLE_SAME:
            found = (title, doc["document_id"], "title")
        elif (
            entry["issuer"]
            and title >= TITLE_SHARED
            and fuzz.partial_ratio(_norm(entry["issuer"]), _norm(f"{doc['source']} {doc['authors']}"))
            >= ISSUER_IN_SOURCE
        ):
            found = (title, doc["document_id"], "issuer+title")
        else:
            continue
        best = max(best, found) if best else found
    return (best[1], best[2]) if best else (None, None)
