"""One GET, politely: paced per host, retried by urllib3's Retry, redirects followed by hand to
allow-listed hosts only, body size capped, content type checked, charset told from the header.

Nothing here writes a file; `get` returns a Response value that says what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipeline.extract.decode import header_charset
from pipeline.fetch.config import FetchConfig
from pipeline.fetch.pacing import HostPacer

RETRY_STATUSES = (429, 500, 502, 503, 504)
REDIRECTS = (301, 302, 303, 307, 308)


class PacedRetry(Retry):
    """urllib3's Retry (backoff with jitter, Retry-After), sleeping through an injectable function and
    taking its turn with the host pacer before each retry, so retries keep the per-host interval too."""

    def __init__(
        self,
        *args,
        pacer: HostPacer | None = None,
        sleeper: Callable[[float], None] = time.sleep,
        host: str | None = None,
        **kw,
    ) -> None:
        super().__init__(*args, **kw)
        self.pacer, self.sleeper, self.host = pacer, sleeper, host

    def new(self, **kw) -> PacedRetry:
        retry = super().new(**kw)
        retry.pacer, retry.sleeper, retry.host = self.pacer, self.sleeper, self.host
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if _pool is not None and _pool.host:
            retry.host = _pool.host.strip("[]").lower()
        return retry

    def sleep(self, response=None) -> None:
        delay = self.get_retry_after(response) if (self.respect_retry_after_header and response) else None
        if not delay:
            delay = self.get_backoff_time()
        if delay > 0:
            self.sleeper(delay)
        if self.pacer is not None and self.host:
            self.pacer.wait(self.host)


def make_session(
    config: FetchConfig, pacer: HostPacer, sleep: Callable[[float], None] = time.sleep
) -> requests.Session:
    retry = PacedRetry(
        total=config.retries,
        connect=config.retries,
        read=config.retries,
        status=config.retries,
        redirect=0,
        raise_on_redirect=False,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=config.backoff_factor,
        backoff_jitter=config.backoff_jitter,
        backoff_max=config.backoff_max,
        retry_after_max=config.retry_after_max,
        respect_retry_after_header=True,
        raise_on_status=False,
        pacer=pacer,
        sleeper=sleep,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=config.concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(
        {
            "User-Agent": config.agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            "Accept-Language": "en",
            **({"From": config.contact} if "@" in config.contact and "/" not in config.contact else {}),
            **config.extra_headers,
        }
    )
    session.trust_env = False  # no proxy or .netrc surprises: the allow-list is the whole story
    return session


@dataclass
class Response:
    url: str  # what was asked for
    final_url: str  # where the answer came from, after redirects
    status: int | None = None  # None: no answer (see error)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""  # why this is not a usable page, if it is not
    raw_headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status == 200

    @property
    def charset(self) -> str | None:
        """The charset the Content-Type header declares, if it is one Python knows."""
        return header_charset(self.headers.get("content-type", ""))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def get(
    session: requests.Session,
    url: str,
    config: FetchConfig,
    pacer: HostPacer,
    headers: dict[str, str] | None = None,
    check_type: bool = True,
    may_fetch: Callable[[str], bool] = lambda url: True,
) -> Response:
    """GET url; follow at most config.max_redirects redirects, each only to an allow-listed host that
    robots.txt allows (may_fetch). Never raises for network trouble: the Response says what went wrong."""
    allowed = config.allowed_hosts
    current = url
    for hop in range(config.max_redirects + 1):
        host = host_of(current)
        if host not in allowed:
            return Response(url, current, error=f"host {host or '?'} is not on the allow-list (not requested)")
        if hop and not may_fetch(current):
            return Response(url, current, error=f"redirect to {current} disallowed by robots.txt (not followed)")
        pacer.wait(host)
        try:
            r = session.get(current, headers=headers or {}, timeout=config.timeout, allow_redirects=False, stream=True)
        except requests.RequestException as exc:
            return Response(url, current, error=_describe(exc))
        with r:
            if r.status_code in REDIRECTS and r.headers.get("location"):
                target = urljoin(current, r.headers["location"])
                if host_of(target) not in allowed:
                    return Response(
                        url,
                        current,
                        r.status_code,
                        _lower(r.headers),
                        error=f"redirect to {target} (host {host_of(target)} not on the allow-list, not followed)",
                    )
                current = target
                continue
            response = Response(
                url,
                current,
                r.status_code,
                _lower(r.headers),
                reason=r.reason or "",
                raw_headers=list(r.raw.headers.items()) if r.raw is not None else [],
            )
            if r.status_code != 200:
                if r.status_code != 304:
                    response.error = f"HTTP {r.status_code}" + (f" {r.reason}" if r.reason else "")
                return response
            if check_type and response.content_type not in config.content_types:
                response.error = f"content type {response.content_type or 'none'} is not HTML (not stored)"
                return response
            size = r.headers.get("content-length", "")
            if size.isdigit() and int(size) > config.max_bytes:
                response.error = f"body of {size} bytes is over the {config.max_bytes}-byte limit (not read)"
                return response
            chunks, total = [], 0
            try:
                for chunk in r.iter_content(64 * 1024):
                    total += len(chunk)
                    if total > config.max_bytes:
                        response.error = f"body is over the {config.max_bytes}-byte limit (stopped reading)"
                        return response
                    chunks.append(chunk)
            except requests.RequestException as exc:
                response.error = f"body not read: {_describe(exc)}"
                return response
            response.body = b"".join(chunks)
            return response
    return Response(url, current, error=f"more than {config.max_redirects} redirects")


def _lower(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _describe(exc: Exception) -> str:
    """A one-line reason: the innermost cause urllib3 wrapped, without the object addresses."""
    reason = exc
    seen = set()
    while True:
        inner = getattr(reason, "reason", None) or (
            reason.args[0] if reason.args and isinstance(reason.args[0], Exception) else None
        )
        if inner is None or id(inner) in seen:
            break
        seen.add(id(inner))
        reason = inner
    text = str(reason)
    if "(" in text and "object at 0x" in text:
        text = text.split(": ", 1)[-1]
    return f"{type(exc).__name__}: {text}"[:300]
