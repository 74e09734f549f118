"""How the site addresses its pages: the host, the scripts that serve a page named by its `file=`
parameter, and the query parameters that only say where a visitor came from."""

from __future__ import annotations

ROOT = "https://findings.org.uk"
HOST = "findings.org.uk"  # also reached as www.findings.org.uk and over http
# Scripts that serve the page their `file=` (older links: `f=`) parameter names; all serve the same page.
PAGE_SCRIPTS = ("/php/dl.php", "/count/downloads/download.php", "/download.php")
PAGE_PARAMETERS = ("file", "f")
CANONICAL_SCRIPT = "/PHP/dl.php"
# Where-from parameters (`&s=eb&sf=rel`, campaign tags): dropped, they never change which page it is.
TRACKING_PARAMETERS = ("s", "sf", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid")
_FOLDER = {"alcohol": "Alcohol", "drug": "Drugs"}


def is_site_host(host: str | None) -> bool:
    """The site itself (a subdomain included), by whole labels: `findings.org.uk.evil.test` is not."""
    host = (host or "").lower().rstrip(".")
    return host == HOST or host.endswith("." + HOST)


def page_url(file: str) -> str:
    """The canonical address of the page the site serves as `file`, e.g. `Matrix/Drugs/B3.htm`."""
    return f"{ROOT}{CANONICAL_SCRIPT}?file={file}"


def cell_url(cell_id: str) -> str:
    """The canonical address of a matrix cell's page, e.g. `…/PHP/dl.php?file=Matrix/Alcohol/A4.htm`."""
    matrix, code = cell_id.split("-")
    return page_url(f"Matrix/{_FOLDER[matrix]}/{code}.htm")
