"""/health/detailed and /health/ready tell the faults a probe found: KRA unreachable (from
what runs learned, no extra call), a store that cannot be written, a stopped daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, asset, materialize
from fastapi.testclient import TestClient

from kra_api.services.stack_processes import (
    STACK_STATE_ENV,
    STOPPED,
    ChildRecord,
    process_state,
    write_stack_state,
)
from kra_pipeline.defs.shared.resources import KraApiResource
from kra_pipeline.store.db import get_engine
from kra_simulator import SIMULATOR_API_KEY
from tests.api.conftest import NO_WEBSERVER

CLOSED_PORT = NO_WEBSERVER  # nothing listens there: a KRA that cannot be reached


@asset
def fetch_one_race_day(kra_open_api: KraApiResource) -> None:
    """The smallest step that calls KRA through the pipeline's resource (no retry policy)."""
    with kra_open_api.client() as client:
        client.fetch_race_day(1, "20250622")


def _collect(instance: DagsterInstance, base_url: str) -> bool:
    resource = KraApiResource(base_url=base_url)
    result = materialize(
        [fetch_one_race_day],
        instance=instance,
        resources={"kra_open_api": resource},
        raise_on_error=False,
    )
    return result.success


def _checks(client: TestClient) -> dict[str, Any]:
    answer = client.get("/health/detailed")
    assert answer.status_code == 200
    return answer.json()["checks"]


@pytest.fixture
def health(make_client: Callable[..., TestClient]) -> Iterator[TestClient]:
    with make_client() as client:
        yield client


def test_kra_unreachable_shows_until_a_run_reaches_it_again(
    health: TestClient,
    dagster_instance: DagsterInstance,
    kra_simulator: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    monkeypatch.setenv("KRA_API_MAX_ATTEMPTS", "1")
    assert _checks(health)["kra_reachable"]["status"] == "healthy"

    calls_before = kra_simulator.stats.total_calls
    assert not _collect(dagster_instance, CLOSED_PORT)
    reachable = _checks(health)["kra_reachable"]
    assert reachable["status"] == "unhealthy"
    assert "could not reach API214_1" in reachable["error"]
    assert "KRA_API_BASE_URL" in reachable["error"]
    assert kra_simulator.stats.total_calls == calls_before  # health spent no KRA call

    assert _collect(dagster_instance, kra_simulator.base_url)
    assert _checks(health)["kra_reachable"]["status"] == "healthy"


def test_a_store_that_cannot_be_written_is_unhealthy_and_not_ready(
    health: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "races.sqlite"
    get_engine(f"sqlite:///{store}")  # migrated: reads work, only writing is impossible
    monkeypatch.setenv("KRA_DATABASE_URL", f"sqlite:///{store}")
    assert _checks(health)["race_store"]["status"] == "healthy"

    monkeypatch.setenv("KRA_DATABASE_URL", f"sqlite:///file:{store}?mode=ro&uri=true")
    race_store = _checks(health)["race_store"]
    assert race_store["status"] == "unhealthy"
    assert "readonly database" in race_store["error"]
    ready = health.get("/health/ready")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"].isdigit()
    assert ready.json()["checks"]["race_store"]["status"] == "unhealthy"


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A stand-in child process whose state the kernel reports (stopped, running, gone)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield child
    child.kill()
    child.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_stopped_daemon_is_reported_at_once(
    health: TestClient,
    sleeper: subprocess.Popen[bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = tmp_path / "stack.json"
    record = ChildRecord("dagster-daemon", sleeper.pid, time.time(), restarts=2)
    write_stack_state(state, [record])
    monkeypatch.setenv(STACK_STATE_ENV, str(state))

    os.kill(sleeper.pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while process_state(sleeper.pid) != STOPPED and time.monotonic() < deadline:
        time.sleep(0.05)
    checks = _checks(health)
    assert checks["dagster_daemon"]["status"] == "unhealthy"
    assert f"pid {sleeper.pid}) is stopped" in checks["dagster_daemon"]["error"]
    assert checks["processes"]["status"] == "unhealthy"
    assert health.get("/health/ready").status_code == 503

    os.kill(sleeper.pid, signal.SIGCONT)
    sleeper.kill()
    sleeper.wait()
    checks = _checks(health)
    assert "is gone" in checks["dagster_daemon"]["error"]


def test_a_launch_waits_for_the_webserver_then_answers_503_with_retry_after(
    dagster_instance: DagsterInstance,
) -> None:
    from kra_api.app import create_app
    from kra_api.gateway import DagsterGateway
    from kra_api.settings import ApiSettings
    from tests.api.conftest import HEADERS_A, KEY_A

    gateway = DagsterGateway(NO_WEBSERVER, instance=dagster_instance, launch_wait_seconds=1)
    settings = ApiSettings(VALID_API_KEYS=KEY_A, DAGSTER_WEBSERVER_URL=NO_WEBSERVER)
    with TestClient(create_app(settings, gateway, configure_logs=False)) as client:
        body = {"date": "20250622", "meet": 1}
        answer = client.post("/api/v2/collection/async", json=body, headers=HEADERS_A)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert "did not answer" in answer.json()["detail"]
    assert "(waited 1s)" in answer.json()["detail"]
