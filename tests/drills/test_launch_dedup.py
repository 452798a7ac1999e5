"""Drill: the same race day is launched twice at the same moment through the REST shim, and
Dagster gets one run: both callers are handed the same job id.

The runs go through a real Dagster webserver (GraphQL) on a throwaway DAGSTER_HOME with the
repo's dagster.yaml; no daemon runs, so the first run is still queued when the second request
arrives, exactly the window in which a duplicate could slip in.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, RunsFilter

from tests.fixtures.dagster_webserver import dagster_webserver, prepare_dagster_home

pytest.importorskip("kra_api.services.launcher", reason="the REST shim is not there yet")

from fastapi.testclient import TestClient

from kra_api.app import create_app
from kra_api.gateway import DagsterGateway
from kra_api.settings import ApiSettings

SHIM_KEY = "drill-shim-key-000000002"
WEBSERVER_START_SECONDS = 180
BODY = {"date": "20250607", "meet": 1, "options": {"enrich": True}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def webserver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`dagster-webserver` on loopback for a fresh DAGSTER_HOME; yields its URL."""
    home = prepare_dagster_home(tmp_path / "dagster")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dagster_webserver(os.environ, tmp_path / "webserver.log") as server:
        yield server.wait_ready(WEBSERVER_START_SECONDS)


def post_together(*clients: TestClient) -> list[Any]:
    """One identical POST through each client, all released at the same instant."""
    barrier = threading.Barrier(len(clients))
    answers: list[Any] = [None] * len(clients)

    def post(slot: int) -> None:
        barrier.wait()
        answers[slot] = clients[slot].post(
            "/api/v2/collection/async", json=BODY, headers={"X-API-Key": SHIM_KEY}
        )

    threads = [threading.Thread(target=post, args=(slot,)) for slot in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.slow
def test_two_simultaneous_launches_of_a_race_day_give_one_run(webserver: str) -> None:
    settings = ApiSettings(VALID_API_KEYS=json.dumps([SHIM_KEY]), DAGSTER_WEBSERVER_URL=webserver)
    with DagsterInstance.get() as instance:
        gateway = DagsterGateway(webserver, instance=instance)
        with TestClient(create_app(settings, gateway, configure_logs=False)) as client:
            first, second = post_together(client, client)
    assert_one_run(instance_runs(), first, second)


def instance_runs() -> list[str]:
    with DagsterInstance.get() as instance:
        runs = instance.get_runs(RunsFilter(tags={"dagster/partition": "20250607|1"}))
        return [run.run_id for run in runs]


def assert_one_run(run_ids: list[str], first: Any, second: Any) -> None:
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    assert first.json()["job_id"] == second.json()["job_id"]
    assert run_ids == [first.json()["job_id"]]


@pytest.mark.slow
def test_two_api_processes_launching_a_race_day_at_once_give_one_run(webserver: str) -> None:
    """Two workers of the shim (uvicorn --workers 2, or two replicas) each with its own app."""
    settings = ApiSettings(VALID_API_KEYS=json.dumps([SHIM_KEY]), DAGSTER_WEBSERVER_URL=webserver)
    with (
        DagsterInstance.get() as instance_a,
        DagsterInstance.get() as instance_b,
        TestClient(
            create_app(
                settings, DagsterGateway(webserver, instance=instance_a), configure_logs=False
            )
        ) as a,
        TestClient(
            create_app(
                settings, DagsterGateway(webserver, instance=instance_b), configure_logs=False
            )
        ) as b,
    ):
        first, second = post_together(a, b)
    assert_one_run(instance_runs(), first, second)


@pytest.mark.slow
def test_one_run_per_race_day_whatever_the_caller_and_the_options(webserver: str) -> None:
    """Varying the options, or asking with another key, no longer queues more runs."""
    other_key = "drill-shim-key-000000003"
    settings = ApiSettings(
        VALID_API_KEYS=json.dumps([SHIM_KEY, other_key]), DAGSTER_WEBSERVER_URL=webserver
    )
    with DagsterInstance.get() as instance:
        gateway = DagsterGateway(webserver, instance=instance)
        with TestClient(create_app(settings, gateway, configure_logs=False)) as client:

            def post(body: dict[str, Any], key: str = SHIM_KEY) -> Any:
                return client.post(
                    "/api/v2/collection/async", json=body, headers={"X-API-Key": key}
                )

            first = post(BODY)
            assert first.status_code == 202, first.text
            job_id = first.json()["job_id"]
            covered = [
                {**BODY, "options": {"enrich": True, "get_results": True}},
                {**BODY, "options": {"enrich": False}},
                {**BODY, "race_numbers": [2, 1]},
            ]
            for body in covered:
                answer = post(body)
                assert answer.status_code == 202, answer.text
                assert answer.json()["job_id"] == job_id
            refused = post(BODY, key=other_key)
            assert refused.status_code == 409
            assert "X-Job-Id" not in refused.headers and job_id not in refused.text
            assert "another caller" in refused.json()["detail"]
            assert int(refused.headers["Retry-After"]) >= 1

            cards_day = {"date": "20250608", "meet": 1, "options": {"enrich": False}}
            cards = post(cards_day)
            assert cards.status_code == 202, cards.text
            more = post({**cards_day, "options": {"enrich": True}})
            assert more.status_code == 409
            assert cards.json()["job_id"] in more.json()["detail"]
    assert instance_runs() == [job_id]
