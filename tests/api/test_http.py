"""Cross-cutting HTTP behaviour: request ids, 422 messages, the last-resort 500, metrics."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from dagster import AssetMaterialization, DagsterInstance
from fastapi.testclient import TestClient

from kra_api.gateway import DagsterGateway
from tests.api.conftest import HEADERS_A, NO_WEBSERVER

VALID = {"date": "20250622", "meet": 1}


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == (
        "abc-123"
    )
    generated = client.get("/api/v2/jobs/").headers["X-Request-ID"]  # on a 401 too
    assert len(generated) == 32
    assert (
        client.get("/health", headers={"X-Request-ID": "bad id\x7f"}).headers["X-Request-ID"]
        != "bad id\x7f"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ({"meet": 1}, "date"),
        ({"date": 20250622, "meet": 1}, "date"),
        ({"date": "2025-06-22", "meet": 1}, "YYYYMMDD"),
        ({"date": "20250231", "meet": 1}, "not a calendar day"),
        ({"date": "20250622", "meet": 4}, "meet"),
        ({"date": "20250622", "meet": "Seoul"}, "meet"),
        ({**VALID, "race_numbers": [0, 21]}, "between 1 and 20"),
        ({**VALID, "race_numbers": []}, "omit it"),
        ({**VALID, "race_numbers": "1,2"}, "race_numbers"),
        ({**VALID, "options": {"enrich": "maybe"}}, "enrich"),
        ({**VALID, "colour": "red"}, "colour"),
        ({"date": "20100101", "meet": 1}, "not a collectable race day"),
        ({"date": "29991231", "meet": 1}, "not a collectable race day"),
        ({"date": "２０２５０６２２", "meet": 1}, "ASCII digits"),
        ({"date": "20250622", "meet": True}, "meet"),
        ({"date": "20250622", "meet": 1.0}, "meet"),
        ({**VALID, "race_numbers": [True]}, "race_numbers"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v2/collection/", "/api/v2/collection/async"])
def test_bad_collection_bodies_are_422_with_a_reason(
    client: TestClient, path: str, body: object, says: str
) -> None:
    if isinstance(body, str):
        answer = client.post(
            path, content=body, headers={**HEADERS_A, "Content-Type": "application/json"}
        )
    else:
        answer = client.post(path, json=body, headers=HEADERS_A)
    assert answer.status_code == 422
    assert says in answer.text


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"meet": 1}, "date"),
        ({"date": "2025-06-22", "meet": 1}, "date"),
        ({"date": "20250230", "meet": 1}, "not a calendar day"),
        ({"date": "20250622", "meet": 0}, "meet"),
        ({"date": "29990101", "meet": 1}, "not a collectable race day"),
        ({"date": "２０２５０６２２", "meet": 1}, "date"),
        ({"date": "٢٠٢٥٠٦٢٢", "meet": 1}, "date"),
        ({"date": "20100101", "meet": 1}, "not a collectable race day"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v2/collection/status", "/api/v2/races"])
def test_bad_race_day_queries_are_422(
    client: TestClient, path: str, params: dict[str, object], says: str
) -> None:
    answer = client.get(path, params=params, headers=HEADERS_A)
    assert answer.status_code == 422
    assert says in answer.text


def test_the_status_of_a_race_day_needs_its_meet(client: TestClient) -> None:
    """/races without a meet means every meet; a status is of one race day, so it refuses."""
    answer = client.get("/api/v2/collection/status", params={"date": "20250622"}, headers=HEADERS_A)
    assert answer.status_code == 422
    assert "meet" in answer.text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"date_from": "20250630", "date_to": "20250601"}, "swap"),
        ({"date_from": "20141201", "date_to": "20250101"}, "20150101"),
        ({"date_from": "20250601", "date_to": "20250602", "meets": [4]}, "subset"),
        ({"date_from": "20250601", "date_to": "20250602", "meets": []}, "meets"),
    ],
)
def test_bad_backfills_are_422(client: TestClient, body: dict[str, object], says: str) -> None:
    answer = client.post("/api/v2/collection/backfill", json=body, headers=HEADERS_A)
    assert answer.status_code == 422
    assert says in answer.text


@pytest.mark.parametrize("offset", ["9223372036854775808", "1000000001", "-1", "1e3"])
def test_out_of_range_job_offsets_are_422(client: TestClient, offset: str) -> None:
    answer = client.get("/api/v2/jobs/", params={"offset": offset}, headers=HEADERS_A)
    assert answer.status_code == 422
    assert "offset" in answer.json()["message"]


def test_a_huge_input_is_not_echoed_back(client: TestClient) -> None:
    huge = "9" * 100_000
    for body in ({"date": huge, "meet": 1}, {**VALID, huge: 1}):
        answer = client.post("/api/v2/collection/async", json=body, headers=HEADERS_A)
        assert answer.status_code == 422
        assert len(answer.content) < 2_000
        assert "100000 chars" in answer.text


def test_launch_without_webserver_is_503_saying_what_to_start(client: TestClient) -> None:
    answer = client.post("/api/v2/collection/async", json=VALID, headers=HEADERS_A)
    assert answer.status_code == 503
    assert "kra up" in answer.json()["detail"]


class _BrokenStorage(DagsterGateway):
    """A gateway whose storage blows up, to exercise the unexpected-error path."""

    def partition_runs(self, partition_key: str, limit: int = 20) -> list:  # type: ignore[type-arg]
        raise RuntimeError("disk on fire: secret-internal-detail")


def test_unexpected_errors_are_500_with_an_error_id(
    dagster_instance: DagsterInstance,
) -> None:
    from kra_api.app import create_app
    from kra_api.settings import ApiSettings

    app = create_app(
        ApiSettings(VALID_API_KEYS="alpha-key-0000000001"),
        _BrokenStorage(NO_WEBSERVER, instance=dagster_instance),
        configure_logs=False,
    )
    answer = TestClient(app, raise_server_exceptions=False).get(
        "/api/v2/collection/status", params=VALID, headers=HEADERS_A
    )
    assert answer.status_code == 500
    assert set(answer.json()) == {"error", "error_id"}
    assert "secret-internal-detail" not in answer.text
    assert answer.headers["X-Request-ID"]


def test_metrics_are_off_by_default(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_count_requests_runs_and_kra_calls(
    make_client: Callable[..., TestClient], dagster_instance: DagsterInstance, add_run: Callable
) -> None:
    client = make_client(METRICS_ENABLED="true")
    add_run()
    for calls in (3, 4):
        dagster_instance.report_runless_asset_event(
            AssetMaterialization(
                "raw_race_day", partition="20250622|1", metadata={"api_calls": calls}
            )
        )
    client.get("/api/v2/jobs/", headers=HEADERS_A)
    client.get("/api/v2/jobs/nope", headers=HEADERS_A)
    text = client.get("/metrics").text
    assert (
        'kra_http_requests_total{method="GET",route="/api/v2/jobs/{job_id}",status="404"} 1.0'
        in text
    )
    assert 'kra_runs{status="queued"} 1.0' in text
    assert 'kra_materialized_partitions{asset="raw_race_day"} 1.0' in text
    assert "kra_api_calls_total 7.0" in text
