"""Which APIs the key may use, learned from KRA's answers (no probe call): shared by every
process on the same store, shown in /health/detailed and `kra diagnose`, and corrected as soon
as a refused API answers."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from dagster import instance_for_test
from fastapi.testclient import TestClient

from kra_api.app import create_app
from kra_api.gateway import DagsterGateway
from kra_api.settings import ApiSettings
from kra_cli.diagnose import run_diagnosis
from kra_pipeline.kra.access_book import access_summary
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import key_access
from kra_pipeline.kra.errors import KraConfigurationError
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

DAY = "20250601"


def _client(server: SimulatorServer) -> KraClient:
    return KraClient(
        KraSettings(api_base_url=server.base_url, api_key=SIMULATOR_API_KEY, history_source="day")
    )


def _health_apis() -> dict[str, object]:
    settings = ApiSettings(VALID_API_KEYS=json.dumps(["shim-key-0000000001"]))
    with instance_for_test() as instance:
        gateway = DagsterGateway("http://127.0.0.1:9", instance=instance)
        with TestClient(create_app(settings, gateway, configure_logs=False)) as client:
            answer = client.get("/health/detailed")
    assert answer.status_code == 200
    return answer.json()["checks"]["kra_apis"]


def test_a_refused_api_is_listed_until_it_answers(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    assert access_summary(key_access(KraSettings())) == {"usable": [], "refused": {}}
    refusing = start_kra_simulator(refused_apis=("API301",))
    with _client(refusing) as client:
        client.fetch_race_day(1, DAY)
        with pytest.raises(KraConfigurationError):
            client.fetch_pool_grid("API301", 1, DAY)
    calls = refusing.stats.total_calls
    summary = access_summary(key_access(KraSettings()))  # another reader of the same store
    assert summary["usable"] == ["API214_1"]
    assert list(summary["refused"]) == ["API301"]
    assert "apply for API301" in summary["refused"]["API301"]

    health = _health_apis()
    assert health["status"] == "healthy"  # an optional API refused is reported, not fatal
    assert health["usable"] == ["API214_1"] and list(health["refused"]) == ["API301"]
    diagnosis = run_diagnosis(None, None)["kra_apis"]
    assert diagnosis["usable"] == ["API214_1"] and "API301" in diagnosis["refused"]
    assert refusing.stats.total_calls == calls == 2  # reading the book spent no call

    granted = start_kra_simulator()  # the key was granted API301 since
    with _client(granted) as client:
        client.fetch_pool_grid("API301", 1, DAY)
    assert access_summary(key_access(KraSettings())) == {
        "usable": ["API214_1", "API301"],
        "refused": {},
    }


def test_health_is_unhealthy_when_the_race_card_api_is_refused(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    refusing = start_kra_simulator(refused_apis=("API214_1",))
    with _client(refusing) as client, pytest.raises(KraConfigurationError):
        client.fetch_race_day(1, DAY)
    health = _health_apis()
    assert health["status"] == "unhealthy"
    assert "API214_1" in health["error"] and "race cards" in health["error"]
