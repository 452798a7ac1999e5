"""An answer computed at most once per time-to-live and shared by every request meanwhile.

Health probes are unauthenticated and each one writes to the race store, asks the webserver
and reads the daemon's heartbeats: without sharing, anyone could make the service do that work
as fast as they can send requests. Requests arriving while the answer is being computed wait
for that computation instead of starting their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedAnswer(Generic[T]):
    """`get(compute)` returns the last answer while it is younger than `ttl_seconds`, else
    computes a new one; thread-safe and blocking (call it through asyncio.to_thread)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._answer: T | None = None
        self._computed_at = float("-inf")

    def get(self, compute: Callable[[], T]) -> T:
        with self._lock:  # one computation at a time; the others then read its answer
            if self._answer is None or self._clock() - self._computed_at >= self.ttl_seconds:
                self._answer = compute()
                self._computed_at = self._clock()
            return self._answer
