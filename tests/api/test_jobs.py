"""/api/v2/jobs over real Dagster run records: status map, filters, ownership, cancel."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from fastapi.testclient import TestClient

from kra_api.services.jobs_view import STATUS_MAP
from tests.api.conftest import HEADERS_A, HEADERS_B, KEY_B, RunMaker

EXPECTED_STATUS = {
    DagsterRunStatus.QUEUED: "queued",
    DagsterRunStatus.NOT_STARTED: "queued",
    DagsterRunStatus.STARTING: "processing",
    DagsterRunStatus.STARTED: "processing",
    DagsterRunStatus.SUCCESS: "completed",
    DagsterRunStatus.FAILURE: "failed",
    DagsterRunStatus.CANCELING: "cancelled",
    DagsterRunStatus.CANCELED: "cancelled",
}


def test_every_dagster_status_has_a_v2_status() -> None:
    assert set(STATUS_MAP) == {status.value for status in DagsterRunStatus}


@pytest.mark.parametrize(("dagster_status", "v2_status"), EXPECTED_STATUS.items())
def test_status_mapping(
    client: TestClient, add_run: RunMaker, dagster_status: DagsterRunStatus, v2_status: str
) -> None:
    run_id = add_run(dagster_status)
    assert client.get(f"/api/v2/jobs/{run_id}", headers=HEADERS_A).json()["status"] == v2_status
    listed = client.get("/api/v2/jobs/", params={"status": v2_status}, headers=HEADERS_A).json()
    assert [job["job_id"] for job in listed["jobs"]] == [run_id]


def test_list_is_newest_first_and_paged(client: TestClient, add_run: RunMaker) -> None:
    run_ids = [add_run() for _ in range(5)]
    page = client.get("/api/v2/jobs/", params={"limit": 2, "offset": 1}, headers=HEADERS_A).json()
    assert [job["job_id"] for job in page["jobs"]] == run_ids[::-1][1:3]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)


def test_job_type_filter(client: TestClient, add_run: RunMaker) -> None:
    add_run(job_type="collection")
    backfill = add_run(job_type="backfill")
    answer = client.get("/api/v2/jobs/", params={"job_type": "backfill"}, headers=HEADERS_A)
    assert [job["job_id"] for job in answer.json()["jobs"]] == [backfill]
    assert answer.json()["jobs"][0]["type"] == "backfill"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "running"},
        {"job_type": "harvest"},
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
    ],
)
def test_bad_list_filters_are_422(client: TestClient, params: dict[str, object]) -> None:
    answer = client.get("/api/v2/jobs/", params=params, headers=HEADERS_A)
    assert answer.status_code == 422
    assert answer.json()["message"]


def test_each_key_sees_its_own_runs_and_the_uis(client: TestClient, add_run: RunMaker) -> None:
    mine = add_run()
    theirs = add_run(caller=KEY_B)
    from_ui = add_run(caller=None, job_type=None)

    listed = client.get("/api/v2/jobs/", headers=HEADERS_A).json()
    assert {job["job_id"] for job in listed["jobs"]} == {mine, from_ui}
    assert listed["total"] == 2
    launched_by = {job["job_id"]: job["launched_by"] for job in listed["jobs"]}
    assert launched_by == {mine: "api", from_ui: "dagster"}

    assert client.get(f"/api/v2/jobs/{theirs}", headers=HEADERS_A).status_code == 404
    assert client.get(f"/api/v2/jobs/{theirs}", headers=HEADERS_B).status_code == 200
    assert client.post(f"/api/v2/jobs/{theirs}/cancel", headers=HEADERS_A).status_code == 404
    assert client.get(f"/api/v2/jobs/{from_ui}", headers=HEADERS_B).status_code == 200


def test_paging_skips_other_callers_runs(client: TestClient, add_run: RunMaker) -> None:
    mine = [add_run() for _ in range(3)]
    for _ in range(4):
        add_run(caller=KEY_B)
    page = client.get("/api/v2/jobs/", params={"limit": 2, "offset": 1}, headers=HEADERS_A).json()
    assert [job["job_id"] for job in page["jobs"]] == mine[::-1][1:3]
    assert page["total"] == 3


@pytest.mark.parametrize("job_id", ["no-such-run", "0" * 36, "%20", "a" * 300, "'; DROP"])
def test_unknown_or_malformed_ids_are_404(client: TestClient, job_id: str) -> None:
    answer = client.get(f"/api/v2/jobs/{job_id}", headers=HEADERS_A)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Job not found"}
    assert client.post(f"/api/v2/jobs/{job_id}/cancel", headers=HEADERS_A).status_code == 404


def test_detail_shows_parameters(client: TestClient, add_run: RunMaker) -> None:
    run_id = add_run(race_numbers=[2, 3], partition="20250622|3")
    job = client.get(f"/api/v2/jobs/{run_id}", headers=HEADERS_A).json()
    assert job["parameters"]["partition"] == "20250622|3"
    assert job["parameters"]["race_numbers"] == [2, 3]
    assert job["type"] == "collection"
    assert job["progress"] == 0
    assert job["error_message"] is None


def test_cancel_a_queued_run(
    client: TestClient, add_run: RunMaker, dagster_instance: DagsterInstance
) -> None:
    run_id = add_run(DagsterRunStatus.QUEUED)
    answer = client.post(f"/api/v2/jobs/{run_id}/cancel", headers=HEADERS_A)
    assert answer.status_code == 200
    assert answer.json() == {"message": "Job cancelled successfully"}
    run = dagster_instance.get_run_by_id(run_id)
    assert run is not None
    assert run.status == DagsterRunStatus.CANCELED
    job = client.get(f"/api/v2/jobs/{run_id}", headers=HEADERS_A).json()
    assert job["status"] == "cancelled"


@pytest.mark.parametrize(
    "finished", [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
)
def test_cancel_a_finished_run_is_409(
    client: TestClient, add_run: RunMaker, finished: DagsterRunStatus
) -> None:
    run_id = add_run(finished)
    answer = client.post(f"/api/v2/jobs/{run_id}/cancel", headers=HEADERS_A)
    assert answer.status_code == 409
    assert "only queued or processing" in answer.json()["detail"]


def test_cancel_a_running_run_without_webserver_says_where_to_look(
    client: TestClient, add_run: RunMaker
) -> None:
    run_id = add_run(DagsterRunStatus.STARTED)
    answer = client.post(f"/api/v2/jobs/{run_id}/cancel", headers=HEADERS_A)
    assert answer.status_code == 503
    assert "DAGSTER_WEBSERVER_URL" in answer.json()["detail"]


def test_a_job_that_failed_after_retries_names_the_first_real_cause() -> None:
    """Dagster ends such a step with "Exceeded max_retries of 1"; the job shows why."""
    from dagster import RetryPolicy, asset, instance_for_test, materialize

    from kra_api.gateway import DagsterGateway
    from tests.api.conftest import NO_WEBSERVER

    @asset(retry_policy=RetryPolicy(max_retries=1, delay=0))
    def unreachable() -> None:
        try:
            raise ConnectionRefusedError("connection refused")
        except ConnectionRefusedError as error:
            raise RuntimeError("could not reach API214_1 at KRA_API_BASE_URL=x") from error

    with instance_for_test() as instance:
        result = materialize([unreachable], instance=instance, raise_on_error=False)
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert failure.step_failure_data.error.message.startswith("Exceeded max_retries of 1")
        detail = DagsterGateway(NO_WEBSERVER, instance=instance).run_detail(result.run_id)
    assert detail.error_message == "RuntimeError: could not reach API214_1 at KRA_API_BASE_URL=x"
