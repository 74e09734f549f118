"""Hyperlinks and cell mentions to link rows, with each address made canonical and absolute.

A link's address is resolved against the page it appears on, cleaned of where-from parameters
(w3lib), and a page of the site is named the one way the site names it: `…/PHP/dl.php?file=X`,
whatever script, host spelling or `f=` parameter the capture used. An address the capture lost
(`#`, empty) is null and the link a `placeholder`; a non-web address (`javascript:`, `data:`) is
never published. What a link points at is kept even when its address was lost: a mention of a
cell names the cell, an entry's own title link names the entry, and so does the link of a citation
tied to an entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

from pipeline.model import Rich
from pipeline.runtime.ids import stable_id
from pipeline.site import matrix, urls

Kind = Literal["document", "cell", "in-page", "external", "email", "placeholder", "unsupported"]
WEB_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_INVISIBLE = re.compile(r"[\t\n\r\x00-\x1f\x7f]")  # browsers drop these from an address (WHATWG URL)


@dataclass(frozen=True)
class Place:
    """Where a piece of a cell page's text sits: the keys each of its citation and link rows carries."""

    cell_id: str
    entry_id: str | None
    section: str
    paragraph: int = 0  # the bite paragraph's number; 0 elsewhere
    section_id: str | None = None

    def columns(self) -> dict:
        return {
            "cell_id": self.cell_id,
            "document_id": None,
            "entry_id": self.entry_id,
            "section": self.section,
            "section_id": self.section_id,
        }

    def key(self, *more: object) -> str:
        """A row's id: the cell, then a hash of where in it and of `more`."""
        return f"{self.cell_id}-{stable_id(self.entry_id, self.section, self.paragraph, *more)}"

    def at(self, offset: int) -> tuple:
        """A point of the text, comparable across a page's citation and link rows."""
        return (self.cell_id, self.entry_id, self.section, self.paragraph, offset)


@dataclass(frozen=True)
class Address:
    """An href as published: `url` canonical and absolute, or None when it was lost or is not a web address."""

    url: str | None
    kind: Kind


def canonical(href: str | None, base: str) -> Address:
    """The address `href` on the page at `base` leads to, in its canonical form."""
    raw = _INVISIBLE.sub("", href or "").strip()
    if raw in ("", "#"):
        return Address(None, "placeholder")
    scheme = (m.group(1).lower() if (m := _SCHEME.match(raw)) else "") or urlsplit(base).scheme
    if scheme == "mailto":
        return Address(raw, "email")
    if scheme not in WEB_SCHEMES:
        return Address(None, "unsupported")
    absolute = urljoin(base, raw)
    parts = urlsplit(absolute)
    if not urls.is_site_host(parts.hostname):
        return Address(_clean(absolute), "in-page" if raw.startswith("#") else "external")
    query = parse_qs(parts.query)
    named = next((query[p][0] for p in urls.PAGE_PARAMETERS if query.get(p)), None)
    if named and parts.path.lower().endswith(urls.PAGE_SCRIPTS):
        page = urls.page_url(unquote(named))
        url = page + (f"#{parts.fragment}" if parts.fragment else "")
    else:
        url = _clean(f"{urls.ROOT}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")) + (
            f"#{parts.fragment}" if parts.fragment else ""
        )
    if raw.startswith("#"):
        return Address(url, "in-page")
    return Address(url, "cell" if matrix.cell_from_url(url) else "document")


def _clean(url: str) -> str:
    return canonicalize_url(
        url_query_cleaner(url, urls.TRACKING_PARAMETERS, remove=True, keep_fragments=True), keep_fragments=True
    )


def link_rows(place: Place, rich: Rich, page_url: str, title_end: int = 0) -> list[dict]:
    """Every link and cell mention (as structure read them) of one piece of text, in reading order.
    `title_end` > 0 marks the text as an entry whose title runs to there: a link over the title is the
    entry's own."""
    mentions = rich.mentions
    spans = [s for s in rich.spans if s.kind == "link"]
    items = []
    for s in spans:
        address = canonical(s.href, page_url)
        inside = [m for m in mentions if m.start >= s.start and m.end <= s.end]
        target = matrix.cell_from_url(address.url) or (inside[0].target_cell_id if inside else None)
        kind: Kind = "cell" if target and address.kind == "placeholder" else address.kind
        own = place.entry_id if title_end and s.start < title_end and s.end > 0 else None
        if own and kind == "placeholder":
            kind = "document"
        items.append((s.start, rich.text[s.start : s.end], address, kind, "link", target, own))
    for m in mentions:
        if not any(s.start <= m.start and m.end <= s.end for s in spans):
            items.append((m.start, m.text, Address(None, "cell"), "cell", "text", m.target_cell_id, None))
    rows = []
    for n, (offset, anchor, address, kind, origin, target, own) in enumerate(
        sorted(items, key=lambda x: (x[0], x[1])), start=1
    ):
        rows.append(
            {
                "link_id": place.key(n, anchor, target),
                **place.columns(),
                "position": n,
                "anchor_text": anchor,
                "href": address.url,
                "kind": kind,
                "placeholder": address.kind == "placeholder" and origin == "link",
                "origin": origin,
                "target_cell_id": target,
                "target_entry_id": own,
                "at": place.at(offset),  # where it starts, to tie citations to it
            }
        )
    return rows
