"""`GET /health/ready` asked in the background while `kra up` waits.

One request at a time and without a read timeout: on a busy machine the REST API's first
readiness answer can take longer than any fixed per-request limit (it opens Dagster's storage
and asks the webserver), and a slow answer is not a dead API. The waiter keeps printing
progress meanwhile and applies its own limits.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

PROBE_EVERY_SECONDS = 0.5
CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class ReadyAnswer:
    """One answer of /health/ready: its status and its checks by name."""

    status_code: int
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.status_code == 200

    def signature(self) -> tuple[Any, ...]:
        """What counts as a change: the status and each check's state and error, not the
        timestamps that differ in every answer."""
        states = tuple(
            (name, check.get("status"), check.get("error"))
            for name, check in sorted(self.checks.items())
        )
        return (self.status_code, states)

    def failing(self) -> dict[str, str]:
        return {
            name: str(check.get("error") or check.get("status"))
            for name, check in self.checks.items()
            if check.get("status") != "healthy"
        }


@dataclass
class ReadyProbe:
    """Asks `url` whenever no request is in flight and the last one ended a moment ago."""

    url: str
    every: float = PROBE_EVERY_SECONDS
    latest: ReadyAnswer | None = None
    asked_at: float | None = None  # monotonic, while a request is in flight
    _thread: threading.Thread | None = None
    _next_at: float = 0.0

    def poll(self) -> None:
        """Start a request if none is in flight and the pause after the last one is over."""
        if self._thread is not None and self._thread.is_alive():
            return
        now = time.monotonic()
        if now < self._next_at:
            return
        self.asked_at = now
        self._thread = threading.Thread(target=self._ask, name="ready-probe", daemon=True)
        self._thread.start()

    def in_flight_for(self) -> float | None:
        """Seconds the current request has waited for its answer; None when none waits."""
        if self._thread is None or not self._thread.is_alive() or self.asked_at is None:
            return None
        return time.monotonic() - self.asked_at

    def _ask(self) -> None:
        try:
            no_read_limit = httpx.Timeout(None, connect=CONNECT_TIMEOUT_SECONDS)
            answer = httpx.get(self.url, timeout=no_read_limit)
            body = answer.json() if answer.content else {}
            checks = body.get("checks", {}) if isinstance(body, dict) else {}
            self.latest = ReadyAnswer(answer.status_code, checks)
        except (httpx.HTTPError, ValueError):
            pass  # not listening (yet, or again): the waiter sees the port and the process
        finally:
            self._next_at = time.monotonic() + self.every
