"""409 for a race day already being collected: the run is named to its owner only."""

from __future__ import annotations

from dagster import DagsterRunStatus
from fastapi.testclient import TestClient

from kra_pipeline.contract import COLLECT_CARDS_ONLY_JOB
from tests.api.conftest import HEADERS_A, HEADERS_B, KEY_A, RunMaker

DAY = {"date": "20250622", "meet": 1, "options": {"enrich": True}}


def test_another_keys_run_id_is_not_disclosed(client: TestClient, add_run: RunMaker) -> None:
    run_id = add_run(DagsterRunStatus.STARTED, caller=KEY_A, job_name=COLLECT_CARDS_ONLY_JOB)
    for path in ("/api/v2/collection/async", "/api/v2/collection/"):
        answer = client.post(path, json=DAY, headers=HEADERS_B)
        assert answer.status_code == 409
        assert run_id not in answer.text
        assert "X-Job-Id" not in answer.headers
        assert "being collected for another caller" in answer.json()["detail"]
        assert int(answer.headers["Retry-After"]) >= 5


def test_the_owner_is_told_which_of_its_runs_is_in_flight(
    client: TestClient, add_run: RunMaker
) -> None:
    # the cards-only run does not cover a request with enrichment: refused, and named
    run_id = add_run(DagsterRunStatus.STARTED, caller=KEY_A, job_name=COLLECT_CARDS_ONLY_JOB)
    answer = client.post("/api/v2/collection/async", json=DAY, headers=HEADERS_A)
    assert answer.status_code == 409
    assert answer.headers["X-Job-Id"] == run_id
    assert run_id in answer.json()["detail"]
    assert int(answer.headers["Retry-After"]) >= 5
