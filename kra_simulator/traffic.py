"""Traffic control of the simulator: call statistics, the request quota and injected faults.

The statistics are what benchmarks and tests read to prove the client's behaviour: how many
calls reached each endpoint, how many arrived over the quota, and the most requests seen in
any quota window (the figure that must stay at or below the configured rate). All thread-safe.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any

FAULT_KINDS: tuple[str, ...] = ("server_error", "truncated", "slow", "gateway_error")
DEFAULT_FAULT_KINDS: tuple[str, ...] = ("server_error", "truncated", "slow")
QUOTA_MODES: tuple[str, ...] = ("22", "429", "mixed")


class SimulatorStats:
    """Counters of one simulator run; read them while it serves, reset between scenarios."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._window = window_seconds
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: Counter[str] = Counter()
            self._answered: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._quota_violations = 0
            self._key_rejections = 0
            self._arrivals: deque[float] = deque()
            self._peak = 0

    def record_call(self, endpoint: str) -> None:
        """Every request to a data endpoint, whatever its fate, counts towards the window."""
        now = self._clock()
        with self._lock:
            self._calls[endpoint] += 1
            self._arrivals.append(now)
            while self._arrivals and self._arrivals[0] <= now - self._window:
                self._arrivals.popleft()
            self._peak = max(self._peak, len(self._arrivals))

    def record_answer(self, endpoint: str) -> None:
        with self._lock:
            self._answered[endpoint] += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def record_quota_violation(self) -> None:
        with self._lock:
            self._quota_violations += 1

    def record_key_rejection(self) -> None:
        with self._lock:
            self._key_rejections += 1

    @property
    def calls(self) -> Counter[str]:
        """Requests per endpoint (API id, e.g. `API214_1`), including rejected ones."""
        with self._lock:
            return Counter(self._calls)

    @property
    def answered(self) -> Counter[str]:
        """Requests per endpoint that got a normal data answer."""
        with self._lock:
            return Counter(self._answered)

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self._calls.values())

    @property
    def faults(self) -> Counter[str]:
        with self._lock:
            return Counter(self._faults)

    @property
    def quota_violations(self) -> int:
        with self._lock:
            return self._quota_violations

    @property
    def key_rejections(self) -> int:
        with self._lock:
            return self._key_rejections

    @property
    def peak_window_requests(self) -> int:
        """Most requests that arrived within any one quota window."""
        with self._lock:
            return self._peak

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "answered": dict(self._answered),
                "total_calls": sum(self._calls.values()),
                "faults": dict(self._faults),
                "quota_violations": self._quota_violations,
                "key_rejections": self._key_rejections,
                "peak_window_requests": self._peak,
                "window_seconds": self._window,
            }


class QuotaGate:
    """A sliding-window quota on served requests, like the gateway's per-key limit."""

    def __init__(
        self,
        per_window: int | None,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = per_window
        self._window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._served: deque[float] = deque()

    def reset(self) -> None:
        with self._lock:
            self._served.clear()

    def admit(self) -> float | None:
        """None when the request may be served, else the seconds until a slot frees up."""
        if self._limit is None:
            return None
        now = self._clock()
        with self._lock:
            while self._served and self._served[0] <= now - self._window:
                self._served.popleft()
            if len(self._served) < self._limit:
                self._served.append(now)
                return None
            return self._served[0] + self._window - now


KST = dt.timezone(dt.timedelta(hours=9), "KST")


def kst_day(now: float) -> str:
    """The KST calendar day (YYYYMMDD) of a Unix time: KRA's daily quotas reset at 00:00 KST."""
    return dt.datetime.fromtimestamp(now, KST).strftime("%Y%m%d")


class DailyQuota:
    """KRA's daily quota: at most `per_day` served calls per API per KST calendar day.

    `clock` gives Unix time; tests move it past midnight KST to simulate the reset.
    """

    def __init__(self, per_day: int | None, clock: Callable[[], float] = time.time) -> None:
        self._limit = per_day
        self.clock = clock
        self._lock = threading.Lock()
        self._day = ""
        self._served: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()  # most calls of each API served in one day

    def reset(self) -> None:
        with self._lock:
            self._served.clear()
            self.peak.clear()

    def admit(self, api: str) -> bool:
        """Whether a call of `api` may be served today; counts it when it may."""
        if self._limit is None:
            return True
        today = kst_day(self.clock())
        with self._lock:
            if today != self._day:
                self._day, self._served = today, Counter()
            if self._served[api] >= self._limit:
                return False
            self._served[api] += 1
            self.peak[api] = max(self.peak[api], self._served[api])
            return True


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds; never tell a client to retry at once."""
    return str(max(1, math.ceil(seconds)))


class FaultPlan:
    """Draws which requests fail and how, from a seeded RNG so a scenario can be replayed."""

    def __init__(self, rate: float, kinds: Sequence[str], seed: int) -> None:
        self.rate = rate
        self.kinds = tuple(kinds)
        self._rng = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        """The fault for the next request, or None for a normal answer."""
        if self.rate <= 0 or not self.kinds:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            return self._rng.choice(self.kinds)

    def choose(self, options: Sequence[Any]) -> Any:
        """A seeded choice among variants of a fault (status code, error code, quota shape)."""
        with self._lock:
            return self._rng.choice(list(options))
