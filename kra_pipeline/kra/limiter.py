"""One request budget (N per window) shared by every process that uses the same state.

Backed by pyrate-limiter 4.5 buckets: a SQLite file under KRA_HOME (default) or a PostgreSQL
table (`postgresql://` KRA_LIMITER_URL), both with the sliding-window-log algorithm.

Why `acquire()` does not use `pyrate_limiter.Limiter.try_acquire(blocking=True)`: after a refusal,
Limiter sleeps and then re-puts the item with `timestamp += sleep`, a computed time rather than
the clock. Sleep overshoot and waiting for the cross-process file lock make that stamp earlier
than the real send time, so the entry leaves the window early and another process is admitted
too soon. Here every attempt is stamped from the clock while holding the bucket's lock, and the
window is widened by a small margin for the time between taking a token and the request
reaching the server. Outdated entries are leaked inside the same lock instead of by
pyrate-limiter's background thread, which is not fork-safe.
"""

from __future__ import annotations

import random
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import structlog
from filelock import FileLock
from pyrate_limiter import AbstractBucket, PostgresBucket, Rate, RateItem, SQLiteBucket

from kra_pipeline.kra.config import KraSettings

log = structlog.get_logger(__name__)

ITEM_NAME = "kra-api"
TABLE = "kra_api_calls"


# The least slack added to a window. It covers the time between taking a token and the request
# reaching KRA: the network, and a busy client or server process. Measured on the simulator
# with three runs on two cores: up to 0.1 s on a quiet machine and 0.23 s on a loaded one, so
# the former 0.1 s let a fifth request into a 4-per-second window now and then.
MIN_WINDOW_MARGIN_MS = 500


def window_margin_ms(window_ms: int) -> int:
    """Slack added to the window: 2 % of it (1.2 s of a minute), never below the minimum."""
    return max(MIN_WINDOW_MARGIN_MS, window_ms // 50)


class SharedRateLimiter:
    """Never more than `limit` acquisitions in any `window_seconds`, across all processes."""

    def __init__(self, limit: int, window_seconds: float, url: str) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.url = url
        window_ms = int(window_seconds * 1000)
        self._rate = Rate(limit, window_ms + window_margin_ms(window_ms))
        self._lock: AbstractContextManager[Any]
        self._bucket: AbstractBucket
        if url.startswith(("postgresql://", "postgres://", "postgresql+")):
            self._bucket = _postgres_bucket(url, self._rate)
            self._lock = nullcontext()  # PostgresBucket.put locks the table itself
        elif url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(f"{path}.lock")
            with self._lock:
                self._bucket = SQLiteBucket.init_from_file(
                    [self._rate], table=TABLE, db_path=str(path), use_file_lock=False
                )
        else:
            raise ValueError(
                "KRA_LIMITER_URL must be sqlite:///<file> or postgresql://user@host/db, "
                f"got a {url.split(':')[0]}: URL"
            )

    @classmethod
    def from_settings(cls, settings: KraSettings) -> SharedRateLimiter:
        """The limiter every client with these settings shares (same KRA_HOME → same budget)."""
        return cls(
            settings.rate_limit_per_minute,
            settings.rate_limit_window_seconds,
            settings.resolved_limiter_url(),
        )

    def try_acquire(self) -> float:
        """Take a token if one is free: 0.0 on success, else seconds to wait before trying again."""
        with self._lock:
            now = int(self._bucket.now())
            self._bucket.leak(now)
            item = RateItem(ITEM_NAME, now)
            decision = self._bucket.put_decision(item)
        if decision.allowed:
            return 0.0
        if decision.retry_after_ms is None:  # PostgreSQL table busy: another process is putting
            return random.uniform(0.005, 0.03)
        return max(decision.retry_after_ms, 1) / 1000

    def acquire(self) -> float:
        """Block until a token is taken; returns the seconds spent waiting."""
        started = time.monotonic()
        while (wait := self.try_acquire()) > 0:
            # A little jitter so processes woken by the same expiry do not collide in lockstep.
            time.sleep(wait + random.uniform(0, 0.01))
        waited = time.monotonic() - started
        if waited > 0.5:
            log.debug("kra.limiter.waited", seconds=round(waited, 3), limit=self.limit)
        return waited

    def close(self) -> None:
        self._bucket.close()

    def __enter__(self) -> SharedRateLimiter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _postgres_bucket(url: str, rate: Rate) -> PostgresBucket:
    from psycopg_pool import ConnectionPool

    conninfo = url.replace("postgresql+psycopg2://", "postgresql://").replace(
        "postgresql+psycopg://", "postgresql://"
    )
    pool = ConnectionPool(conninfo, min_size=1, max_size=2, open=True)
    return PostgresBucket(pool, TABLE, [rate])
