"""A deadline for each attempt at a request, and Ctrl-C that stops the requests in flight.

requests' read timeout bounds one socket read, so a server sending a byte a second never reaches it,
and a thread blocked in a read or a Retry-After wait does not see Ctrl-C (only the main thread does).
Here each attempt (connecting, sending, headers, body) runs under a timer that shuts its sockets down
when the deadline passes, and `Watch.stop` shuts down every attempt's sockets and wakes every wait.
The sockets are handed over by the connection classes below, which requests uses through `Adapter`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Cut = Literal["", "deadline", "stopped"]

_local = threading.local()  # the attempt the current thread is making, if any


class Stopped(Exception):
    """The fetch is being interrupted: no more waiting, reading or retrying."""


class Attempt:
    """One request's time on the network; its sockets are shut down when its deadline passes."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.cut: Cut = ""  # why the sockets were shut down, if they were
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def begin(self) -> None:
        """Start (or, after a retry's wait, restart) the clock."""
        self.end()
        with self._lock:
            self.cut = ""
            self._sockets.clear()
        self._timer = threading.Timer(self.watch.seconds, self.shut, args=("deadline",))
        self._timer.daemon = True
        self._timer.start()

    def end(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def adopt(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            late = self.cut or ("stopped" if self.watch.stopping.is_set() else "")
        if late:
            self.shut(late)

    def shut(self, why: Cut) -> None:
        with self._lock:
            self.cut = self.cut or why
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # a read blocked in another thread returns at once
            except OSError:
                pass


class Watch:
    """The crawler's stop signal and the attempts in flight; `seconds` is each attempt's deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._attempts: set[Attempt] = set()

    @contextmanager
    def attempt(self) -> Iterator[Attempt]:
        """Run one request (with urllib3's retries, each retry under a fresh deadline) on this thread."""
        self.check()
        attempt = Attempt(self)
        with self._lock:
            self._attempts.add(attempt)
        _local.attempt = attempt
        attempt.begin()
        try:
            yield attempt
        finally:
            attempt.end()
            _local.attempt = None
            with self._lock:
                self._attempts.discard(attempt)

    def stop(self) -> None:
        """Ctrl-C: every wait ends and every request in flight is cut off."""
        self.stopping.set()
        with self._lock:
            attempts = list(self._attempts)
        for attempt in attempts:
            attempt.shut("stopped")

    def check(self) -> None:
        if self.stopping.is_set():
            raise Stopped("interrupted")

    def sleep(self, seconds: float) -> None:
        """time.sleep that ends early, raising Stopped, when the fetch is interrupted."""
        if self.stopping.wait(max(0.0, seconds)):
            raise Stopped("interrupted")


def current() -> Attempt | None:
    return getattr(_local, "attempt", None)


def pause() -> None:
    """A retry's wait is not network time: the attempt's clock stops until `resume`."""
    attempt = current()
    if attempt is not None:
        if attempt.cut == "stopped":
            raise Stopped("interrupted")
        attempt.end()


def resume() -> None:
    attempt = current()
    if attempt is not None:
        attempt.watch.check()
        attempt.begin()


class _Watched:
    """Hands each socket to the attempt of the thread using it: new ones, and reused ones."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        attempt = current()
        if attempt is not None:
            attempt.adopt(sock)
        return sock

    def request(self, *args, **kw) -> None:
        attempt = current()
        if attempt is not None:
            attempt.adopt(self.sock)
        super().request(*args, **kw)  # type: ignore[misc]


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class Adapter(HTTPAdapter):
    """requests' adapter, its connections handing their sockets to the current attempt."""

    def init_poolmanager(self, *args, **kw) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}
