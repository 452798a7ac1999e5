"""Cheap refusals for unauthenticated callers: 401s are limited per client address, and a key
nobody issued is remembered for a while so that repeating it costs no database look-up.

Both live in each process's memory (a uvicorn worker each): bounded in size, so a flood of
addresses or keys cannot grow them without limit, and no store write is spent on strangers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

# At most this many addresses and unknown keys are remembered; the oldest are forgotten first.
MAX_TRACKED = 10_000


class FailureThrottle:
    """At most `limit` failed authentications per address in any `window_seconds`."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str, now: float) -> deque[float]:
        seen = self._failures.get(address)
        if seen is None:
            return deque()
        while seen and now - seen[0] >= self.window_seconds:
            seen.popleft()
        return seen

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it is under the limit."""
        if self.limit <= 0:
            return None
        with self._lock:
            now = self._clock()
            seen = self._recent(address, now)
            if len(seen) < self.limit:
                return None
            return max(1, math.ceil(self.window_seconds - (now - seen[0])))

    def failed(self, address: str) -> None:
        if self.limit <= 0:
            return
        with self._lock:
            now = self._clock()
            seen = self._recent(address, now)
            seen.append(now)
            while len(seen) > self.limit:  # only the newest `limit` matter
                seen.popleft()
            self._failures[address] = seen
            self._failures.move_to_end(address)
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)


class UnknownKeys:
    """Digests of keys the store did not know, each remembered for `ttl_seconds`."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._until: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, digest: object) -> bool:
        with self._lock:
            until = self._until.get(str(digest))
            if until is None:
                return False
            if self._clock() >= until:
                del self._until[str(digest)]
                return False
            return True

    def add(self, digest: str) -> None:
        if self.ttl_seconds <= 0:
            return
        with self._lock:
            self._until[digest] = self._clock() + self.ttl_seconds
            self._until.move_to_end(digest)
            while len(self._until) > MAX_TRACKED:
                self._until.popitem(last=False)
