"""/health/detailed reports a key KRA refused, and stops once data is fetched again."""

import json

from dagster import instance_for_test, materialize
from fastapi.testclient import TestClient

from kra_api.app import create_app
from kra_api.gateway import DagsterGateway
from kra_api.settings import ApiSettings
from kra_pipeline.defs.race_days.raw import raw_race_day
from kra_pipeline.defs.shared.resources import default_resources
from kra_simulator import SIMULATOR_API_KEY

PARTITION = "20250622|1"
WRONG_KEY = "wrong-key-for-health-0001"


def key_check(instance) -> dict:
    settings = ApiSettings(VALID_API_KEYS=json.dumps(["shim-key-0000000001"]))
    gateway = DagsterGateway("http://127.0.0.1:9", instance=instance)
    with TestClient(create_app(settings, gateway, configure_logs=False)) as client:
        answer = client.get("/health/detailed")
    assert answer.status_code == 200
    assert WRONG_KEY not in answer.text
    return answer.json()["checks"]["kra_api_key"]


def collect_raw(instance) -> bool:
    result = materialize(
        [raw_race_day],
        partition_key=PARTITION,
        instance=instance,
        resources=default_resources(),
        raise_on_error=False,
    )
    return result.success


def test_a_refused_key_shows_until_a_later_run_fetches_data(kra_simulator, monkeypatch):
    monkeypatch.setenv("KRA_API_BASE_URL", kra_simulator.base_url)
    with instance_for_test() as instance:
        monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
        assert key_check(instance)["status"] == "healthy"

        monkeypatch.setenv("KRA_API_KEY", WRONG_KEY)
        assert not collect_raw(instance)
        refused = key_check(instance)
        assert refused["status"] == "unhealthy"
        assert "not registered" in refused["error"]
        assert "KRA_API_KEY" in refused["error"]

        monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
        assert collect_raw(instance)
        assert key_check(instance)["status"] == "healthy"


def test_no_key_at_all_is_reported(monkeypatch):
    monkeypatch.delenv("KRA_API_KEY", raising=False)
    with instance_for_test() as instance:
        check = key_check(instance)
    assert check["status"] == "unhealthy"
    assert "KRA_API_KEY is not set" in check["error"]
