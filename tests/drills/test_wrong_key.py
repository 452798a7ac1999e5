"""Drill: a wrong KRA_API_KEY. The run fails on its first call, is never retried, and says what
to change without echoing the key; the REST shim's detailed health says the key is rejected."""

from __future__ import annotations

import importlib.util
import json

import pytest
from dagster import DagsterInstance

from kra_pipeline.store.db import get_engine
from kra_simulator import SimulatorServer
from tests.drills.conftest import DrillSimulator
from tests.drills.race_days import has_no_rows, materialize_race_day

WRONG_KEY = "not-a-registered-key-5f1c"
KEY = "20250607|1"


def fail_with_wrong_key(
    drill_simulator: DrillSimulator, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> tuple[SimulatorServer, str, list[str]]:
    """Materialize one race day with a key the simulator rejects; (simulator, message, events)."""
    simulator = drill_simulator()
    monkeypatch.setenv("KRA_API_KEY", WRONG_KEY)
    result = materialize_race_day(instance, KEY, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    return simulator, message, [e.event_type_value for e in result.all_events]


def test_a_wrong_key_fails_on_the_first_call_with_the_actionable_message(
    drill_simulator: DrillSimulator,
    ephemeral_instance: DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    simulator, message, events = fail_with_wrong_key(
        drill_simulator, ephemeral_instance, monkeypatch
    )
    assert "KRA_API_KEY" in message
    assert WRONG_KEY not in message
    # Fails at once: one request reached KRA, no client retry, no step retry, nothing stored.
    assert simulator.stats.total_calls == 1
    assert simulator.stats.key_rejections == 1
    assert "STEP_UP_FOR_RETRY" not in events
    assert events.count("STEP_FAILURE") == 1
    assert has_no_rows(get_engine(), KEY)


@pytest.mark.skipif(
    importlib.util.find_spec("kra_api.routers.health") is None,
    reason="the REST shim's health route is not there yet",
)
def test_detailed_health_says_the_key_is_rejected(
    drill_simulator: DrillSimulator,
    ephemeral_instance: DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fastapi.testclient import TestClient

    from kra_api.app import create_app
    from kra_api.gateway import DagsterGateway
    from kra_api.settings import ApiSettings

    fail_with_wrong_key(drill_simulator, ephemeral_instance, monkeypatch)
    shim_key = "drill-shim-key-000000001"
    settings = ApiSettings(
        VALID_API_KEYS=json.dumps([shim_key]), DAGSTER_WEBSERVER_URL="http://127.0.0.1:9"
    )
    gateway = DagsterGateway("http://127.0.0.1:9", instance=ephemeral_instance)
    with TestClient(create_app(settings, gateway, configure_logs=False)) as client:
        answer = client.get("/health/detailed")
    assert answer.status_code == 200
    assert WRONG_KEY not in answer.text
    key_check = answer.json()["checks"]["kra_api_key"]
    assert key_check["status"] != "healthy", key_check
    assert "KRA_API_KEY" in json.dumps(key_check)
