"""One GET, politely: paced per host, retried by urllib3's Retry, redirects followed by hand to
allow-listed origins only, each attempt under a deadline, body size capped, content type checked,
charset told from the header.

Where a URL leads is read the way requests itself reads it (`request_origin`): Python's urlsplit and
urllib3 disagree on URLs such as `http://a:1\\@b:2/`, and only the place actually connected to counts.

Nothing here writes a file; `get` returns a Response value that says what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from pipeline.extract.decode import header_charset
from pipeline.fetch import deadline
from pipeline.fetch.config import DEFAULT_PORTS, FetchConfig, Origin
from pipeline.fetch.deadline import Stopped, Watch
from pipeline.fetch.pacing import HostPacer

RETRY_STATUSES = (429, 500, 502, 503, 504)
CHUNK_BYTES = 64 * 1024
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
        deadline.pause()  # raises Stopped on Ctrl-C: no retry then
        delay = self.get_retry_after(response) if (self.respect_retry_after_header and response) else None
        if not delay:
            delay = self.get_backoff_time()
        if delay > 0:
            self.sleeper(delay)
        if self.pacer is not None and self.host:
            self.pacer.wait(self.host)
        deadline.resume()


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
    adapter = deadline.Adapter(max_retries=retry, pool_connections=4, pool_maxsize=config.concurrency)
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


def request_origin(url: str) -> Origin | None:
    """(scheme, host, port) that requests would connect to for url; None if it would not make a request."""
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
        parts = parse_url(prepared.url or "")
    except (requests.RequestException, LocationParseError, ValueError):
        return None
    scheme, host = (parts.scheme or "").lower(), (parts.host or "").lower().strip("[]")  # IPv6 as urlsplit has it
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, parts.port or DEFAULT_PORTS[scheme]


def origin_text(origin: Origin | None) -> str:
    if origin is None:
        return "nowhere a request can go"
    scheme, host, port = origin
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}" + ("" if DEFAULT_PORTS[scheme] == port else f":{port}")


def refusal(url: str, config: FetchConfig) -> str:
    """Why url may not be requested ("" if it may): where it would actually connect, and what to do."""
    origin = request_origin(url)
    if origin in config.allowed_origins:
        return ""
    where = origin_text(origin)
    hint = f"; pass --allow-host {where} if it is meant to be fetched" if origin else ""
    return f"{url} would connect to {where}, which is not on the allow-list{hint}"


def get(
    session: requests.Session,
    url: str,
    config: FetchConfig,
    pacer: HostPacer,
    watch: Watch,
    headers: dict[str, str] | None = None,
    check_type: bool = True,
    may_fetch: Callable[[str], bool] = lambda url: True,
    prefix: int | None = None,
) -> Response:
    """GET url; follow at most config.max_redirects redirects, each only to an allow-listed origin that
    robots.txt allows (may_fetch). `prefix`: keep at most this many bytes of a longer body (robots.txt)
    instead of refusing it. Never raises for network trouble: the Response says what went wrong."""
    current = url
    for hop in range(config.max_redirects + 1):
        refused = refusal(current, config)
        if refused:
            what, then = ("redirect to ", "not followed") if hop else ("", "not requested")
            return Response(url, current, error=f"{what}{refused} ({then})")
        if hop and not may_fetch(current):
            return Response(url, current, error=f"redirect to {current} disallowed by robots.txt (not followed)")
        try:
            pacer.wait((request_origin(current) or ("", "", 0))[1])
            with watch.attempt() as attempt:
                answer = _exchange(session, url, current, config, headers, check_type, prefix, attempt)
        except Stopped:
            return Response(url, current, error="interrupted before an answer came")
        if isinstance(answer, Response):
            return answer
        current = answer
    return Response(url, current, error=f"more than {config.max_redirects} redirects")


def _exchange(
    session: requests.Session,
    url: str,
    current: str,
    config: FetchConfig,
    headers: dict[str, str] | None,
    check_type: bool,
    prefix: int | None,
    attempt: deadline.Attempt,
) -> Response | str:
    """One request and its body, under the attempt's deadline; a redirect's target as a str."""
    try:
        r = session.get(current, headers=headers or {}, timeout=config.timeout, allow_redirects=False, stream=True)
    except requests.RequestException as exc:
        return Response(url, current, error=_cut_short(attempt, config) or _describe(exc))
    with r:
        if r.status_code in REDIRECTS and r.headers.get("location"):
            return urljoin(current, r.headers["location"])
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
        limit = prefix or config.max_bytes
        size = r.headers.get("content-length", "")
        if prefix is None and size.isdigit() and int(size) > limit:
            response.error = f"body of {size} bytes is over the {limit}-byte limit (not read)"
            return response
        chunks, total = [], 0
        try:
            for chunk in r.iter_content(CHUNK_BYTES):
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:
                    if prefix is None:
                        response.error = f"body is over the {limit}-byte limit (stopped reading)"
                        return response
                    break
        except requests.RequestException as exc:
            response.error = f"body not read: {_cut_short(attempt, config) or _describe(exc)}"
            return response
        cut = _cut_short(attempt, config)
        if cut:  # the connection was shut down under it: whatever arrived is not the whole body
            response.error = f"body not read: {cut}"
            return response
        response.body = b"".join(chunks)[:limit]
        return response


def _cut_short(attempt: deadline.Attempt, config: FetchConfig) -> str:
    if attempt.cut == "deadline":
        return (
            f"no complete answer within the {config.deadline:g}-s deadline (the server sends too slowly); "
            "run again later, or raise --deadline"
        )
    if attempt.cut == "stopped":
        return "interrupted"
    return ""


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
