"""Every setting of the fetch stage, with polite defaults. One frozen value, passed everywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

AGENT = "findings-pipeline"
VERSION = "0.1"
# Hosts whose absolute links are read as links to the site being crawled (so a mirror that serves
# the site's pages verbatim is crawled on the mirror, not on the live site).
CANONICAL_HOSTS = ("findings.org.uk", "www.findings.org.uk")
HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port): where a request actually connects


class ConfigError(ValueError):
    """A setting that cannot work; the command line answers it with exit status 2."""


@dataclass(frozen=True)
class FetchConfig:
    raw: Path = Path("raw")
    state: Path = Path("interim/fetch")  # the journal of an unfinished run
    base_url: str = "https://findings.org.uk"  # the live site, or a mirror of it
    allow_hosts: tuple[
        str, ...
    ] = ()  # further places a request or redirect may go: host, host:port or scheme://host:port
    depth: int = 0  # 0: overviews and cells; 1: also the pages cells link to
    limit: int | None = None  # at most this many cell pages (trials)
    contact: str = field(default_factory=lambda: os.environ.get("FETCH_CONTACT", ""))  # e-mail or URL
    user_agent: str | None = None  # default: AGENT/VERSION (+contact)
    interval: float = 1.0  # seconds between two requests to one host, at least
    concurrency: int = 2  # requests in flight at once, across hosts
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # per socket read: a server sending a byte at a time never reaches it
    deadline: float = 120.0  # seconds one attempt at a request may take in all, connecting to the body's last byte
    retries: int = 4  # per request, on connection errors, 429 and 5xx
    backoff_factor: float = 2.0  # seconds; doubles each retry (urllib3 Retry)
    backoff_jitter: float = 1.0  # up to this many seconds added at random
    backoff_max: float = 120.0
    retry_after_max: int = 600  # a longer Retry-After is cut to this
    max_redirects: int = 5
    max_bytes: int = 5 * 1024 * 1024
    content_types: tuple[str, ...] = HTML_TYPES
    warc: Path | None = None  # also write every fetched response here
    restart: bool = False  # ignore the journal of an interrupted run
    extra_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--base-url must be an http(s) URL, not {self.base_url!r}")
        if self.depth not in (0, 1):
            raise ConfigError("--depth must be 0 or 1")
        if not 1 <= self.concurrency <= 4:
            raise ConfigError("--concurrency must be 1 to 4: this is a small charity's web site")
        if "\\" in self.base_url or "@" in parts.netloc:
            raise ConfigError(f"--base-url must name its host plainly (no user@, no backslash), not {self.base_url!r}")
        if self.interval < 0 or self.connect_timeout <= 0 or self.read_timeout <= 0 or self.deadline <= 0:
            raise ConfigError("intervals, timeouts and --deadline must be positive")
        for entry in self.allow_hosts:
            if _allowed_origin(entry, parts.scheme, _port(parts.scheme, parts.port)) is None:
                raise ConfigError(f"--allow-host takes host, host:port or http(s)://host:port, not {entry!r}")
        if self.retries < 0 or self.max_redirects < 0 or self.max_bytes <= 0:
            raise ConfigError("--retries, --max-redirects and --max-bytes cannot be negative")
        if self.limit is not None and self.limit < 0:
            raise ConfigError("--limit cannot be negative")
        if not self.contact.strip() and not self.user_agent:
            raise ConfigError(
                "say who is crawling: --contact you@example.org (or a URL), or set FETCH_CONTACT; "
                "it goes in the User-Agent so the site's staff can reach you"
            )

    @property
    def base(self) -> str:
        """The base URL without a trailing slash."""
        return self.base_url.rstrip("/")

    @property
    def allowed_origins(self) -> frozenset[Origin]:
        """Where requests may connect: the base URL's scheme, host and port, and each --allow-host (a
        bare host on the base URL's scheme and port). Another port of an allowed host is another site."""
        parts = urlsplit(self.base_url)
        scheme, port = parts.scheme, _port(parts.scheme, parts.port)
        found = {(scheme, (parts.hostname or "").lower(), port)}
        found |= {o for o in (_allowed_origin(e, scheme, port) for e in self.allow_hosts) if o}
        return frozenset(found)

    @property
    def agent(self) -> str:
        return self.user_agent or f"{AGENT}/{VERSION} (+{self.contact})"

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else DEFAULT_PORTS.get(scheme, 0)


def _allowed_origin(entry: str, scheme: str, port: int) -> Origin | None:
    """An --allow-host entry as an origin; None if it is not one."""
    text = entry.strip()
    parts = urlsplit(text if "://" in text else f"{scheme}://{text}")
    try:
        given = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc or "\\" in text:
        return None
    if parts.path not in ("", "/") or parts.query:
        return None
    if given is None:  # a bare host shares the base URL's port; a URL without one has its scheme's
        given = DEFAULT_PORTS[parts.scheme] if "://" in text else port
    return parts.scheme, parts.hostname.lower(), given
