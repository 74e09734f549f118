"""Which pages to fetch: pure functions from a page's HTML (and the URL it came from) to URLs.

Cell pages are named by their canonical URL, `<base>/PHP/dl.php?file=Matrix/<Alcohol|Drugs>/<A1>.htm`,
the form pipeline.site.matrix.cell_from_url reads. Absolute links to the live site are read as links to the
base URL, so a mirror serving the site's pages verbatim is crawled on the mirror.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, quote, urljoin, urlsplit, urlunsplit

from lxml import html as lxml_html

from pipeline.fetch.config import CANONICAL_HOSTS
from pipeline.site.matrix import COLUMNS, cell_from_url

OVERVIEWS = {"alcohol": "/docs/amatrix.php", "drug": "/docs/dmatrix.php"}
_FOLDER = {"alcohol": "Alcohol", "drug": "Drugs"}
_DOCUMENT_SCRIPTS = ("/php/dl.php", "/count/downloads/download.php", "/download.php")


def overview_urls(base: str) -> list[str]:
    return [base.rstrip("/") + path for path in OVERVIEWS.values()]


def cell_url(base: str, cell_id: str) -> str:
    matrix, code = cell_id.split("-")
    return f"{base.rstrip('/')}/PHP/dl.php?file=Matrix/{_FOLDER[matrix]}/{code}.htm"


def all_cells(matrix: str) -> list[str]:
    """The known pattern: columns A–E by rows 1–5."""
    return [f"{matrix}-{col}{row}" for col in COLUMNS for row in range(1, 6)]


def links(page_html: bytes | str, page_url: str, base: str) -> list[str]:
    """Every href on the page, absolute, fragment dropped, live-site links moved onto base; in page order."""
    if not page_html or not str(page_html).strip():
        return []
    try:
        tree = lxml_html.fromstring(page_html)
    except ValueError:  # a str holding an XML encoding declaration
        tree = lxml_html.fromstring(page_html.encode("utf-8") if isinstance(page_html, str) else page_html)
    except lxml_html.etree.ParserError:
        return []
    found = []
    for href in tree.xpath("//a/@href"):
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        absolute = _rebase(urljoin(page_url, href), base)
        scheme, netloc, path, query, _ = urlsplit(absolute)
        if scheme in ("http", "https"):
            found.append(urlunsplit((scheme, netloc, path, query, "")))
    return found


def cells_on(overview_html: bytes | str, page_url: str, base: str) -> list[str]:
    """Cell ids an overview page links to, in link order, each once."""
    seen: dict[str, None] = {}
    for url in links(overview_html, page_url, base):
        cell = cell_from_url(url)
        if cell and _same_site(url, base):
            seen.setdefault(cell, None)
    return list(seen)


def cell_urls(overviews: Mapping[str, bytes | str | None], base: str) -> list[str]:
    """The cell URLs to fetch: those the overview pages link to; for a matrix whose overview could not
    be had or names no cell, the known A1–E5 pattern. Alcohol first, then drug, in link order."""
    found = []
    for matrix, path in OVERVIEWS.items():
        page = overviews.get(base.rstrip("/") + path)
        cells = [c for c in cells_on(page, base.rstrip("/") + path, base) if c.startswith(matrix)] if page else []
        found += cells or all_cells(matrix)
    return [cell_url(base, c) for c in dict.fromkeys(found)]


def document_urls(cell_html: bytes | str, page_url: str, base: str) -> list[str]:
    """The pages a cell links to on the same site (analyses, reviews): `dl.php?file=X` where X is not a
    matrix page, normalised to `<base>/PHP/dl.php?file=X`; each once, in link order."""
    seen: dict[str, None] = {}
    for url in links(cell_html, page_url, base):
        parts = urlsplit(url)
        if not _same_site(url, base) or not parts.path.lower().endswith(_DOCUMENT_SCRIPTS):
            continue
        files = parse_qs(parts.query).get("file") or parse_qs(parts.query).get("f")
        if not files or files[0].lower().startswith("matrix/"):
            continue
        seen.setdefault(f"{base.rstrip('/')}/PHP/dl.php?file={quote(files[0], safe='/._-~')}", None)
    return list(seen)


def _rebase(url: str, base: str) -> str:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() in CANONICAL_HOSTS:
        b = urlsplit(base)
        return urlunsplit((b.scheme, b.netloc, parts.path, parts.query, parts.fragment))
    return url


def _same_site(url: str, base: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(base).netloc.lower()
