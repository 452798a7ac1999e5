"""Drill fixtures: a fast-retrying pipeline environment pointed at a simulator with a June 2025
calendar, and a Dagster instance to record the runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dagster import DagsterInstance

from kra_pipeline.store.db import dispose_engines
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer
from tests.drills.race_days import TODAY

# Retries that take milliseconds instead of seconds; budgets high enough that a 15% fault rate
# never exhausts the client's own attempts (which would hand over to the step's 15 s retry).
FAST_RETRIES = {
    "KRA_API_BACKOFF_SECONDS": "0.01",
    "KRA_API_MAX_ATTEMPTS": "12",
    "KRA_API_TIMEOUT_SECONDS": "1",
    "KRA_RATE_LIMIT_PER_MINUTE": "100000",
    # The drills compare every raw item with the world's API214_1 items: pin the per-day path
    # (month answers are drilled in tests/defs/race_days/test_month_source.py).
    "KRA_HISTORY_SOURCE": "day",
}

DrillSimulator = Callable[..., SimulatorServer]


@pytest.fixture
def drill_simulator(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> DrillSimulator:
    """`drill_simulator(fault_rate=0.15, ...)`: a simulator of the drill calendar that the
    pipeline (KRA_* variables, fast retries) talks to; extra `env` entries override variables."""

    def start(env: dict[str, str] | None = None, **config: Any) -> SimulatorServer:
        server = start_kra_simulator(today=TODAY, **config)
        for name, value in {**FAST_RETRIES, **(env or {})}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
        monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
        return server

    return start


@pytest.fixture
def ephemeral_instance() -> Iterator[DagsterInstance]:
    """An in-memory instance: the drills check rows, and it keeps per-run overhead low."""
    with DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    """Engines are cached per URL; each drill's KRA_HOME is new, so drop them afterwards."""
    yield
    dispose_engines()
