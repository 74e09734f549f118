"""At most one request per interval to each host, whatever the number of threads.

Each caller reserves the next free slot for its host under a lock, then sleeps until it. The clock
and the sleep are injected, so tests check the spacing without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class HostPacer:
    def __init__(
        self, interval: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = interval
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._intervals: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self.history: list[tuple[str, float]] = []  # (host, time of each request)

    def set_interval(self, host: str, seconds: float) -> None:
        """A longer interval for one host (robots.txt Crawl-delay); never shorter than the default."""
        with self._lock:
            self._intervals[host] = interval = max(self.interval, seconds)
            if host in self._last:  # the request that brought the news is spaced by the new interval too
                self._next[host] = max(self._next.get(host, 0.0), self._last[host] + interval)

    def interval_for(self, host: str) -> float:
        return self._intervals.get(host, self.interval)

    def wait(self, host: str) -> float:
        """Block until a request to host may be sent; returns the slot's time."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self._intervals.get(host, self.interval)
            self._last[host] = slot
            self.history.append((host, slot))
        if slot > now:
            self.sleep(slot - now)
        return slot
