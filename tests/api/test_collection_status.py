"""GET /api/v2/collection/status from materialization metadata and the partition's runs."""

from __future__ import annotations

from dagster import AssetMaterialization, DagsterInstance, DagsterRunStatus
from fastapi.testclient import TestClient

from tests.api.conftest import HEADERS_A, RunMaker

DAY = {"date": "20250622", "meet": 1}
KEY = "20250622|1"


def _materialize(instance: DagsterInstance, asset: str, **metadata: int) -> None:
    instance.report_runless_asset_event(
        AssetMaterialization(asset, partition=KEY, metadata=metadata)
    )


def _status(client: TestClient) -> dict[str, object]:
    answer = client.get("/api/v2/collection/status", params=DAY, headers=HEADERS_A)
    assert answer.status_code == 200
    return answer.json()


def test_nothing_collected_is_pending(client: TestClient) -> None:
    status = _status(client)
    assert (status["total_races"], status["collected_races"], status["enriched_races"]) == (0, 0, 0)
    assert status["status"] == "pending"
    assert status["last_updated"] is None


def test_numbers_come_from_the_latest_materializations(
    client: TestClient, dagster_instance: DagsterInstance
) -> None:
    _materialize(dagster_instance, "raw_race_day", race_count=11, entry_count=120, api_calls=1)
    _materialize(dagster_instance, "collected_race_day", race_count=11, finished_race_count=4)
    status = _status(client)
    assert (status["total_races"], status["collected_races"], status["enriched_races"]) == (
        11,
        11,
        0,
    )
    assert (status["status"], status["collection_status"]) == ("completed", "completed")
    assert status["enrichment_status"] == "pending"
    assert status["result_status"] == "partial"

    _materialize(dagster_instance, "enriched_race_day", race_count=11, enriched_entry_count=120)
    _materialize(dagster_instance, "collected_race_day", race_count=11, finished_race_count=11)
    status = _status(client)
    assert status["enriched_races"] == 11
    # every race has run, but the results are complete only with the dividends
    assert (status["enrichment_status"], status["result_status"]) == ("completed", "partial")
    _materialize(dagster_instance, "race_day_dividends", combination_count=900)
    assert _status(client)["result_status"] == "completed"
    _materialize(dagster_instance, "collected_race_day", race_count=11, finished_race_count=11)
    assert _status(client)["result_status"] == "partial"  # re-collected: dividends again
    assert status["last_updated"] is not None


def test_a_run_in_flight_is_running(client: TestClient, add_run: RunMaker) -> None:
    add_run(DagsterRunStatus.STARTED, partition=KEY)
    assert _status(client)["status"] == "running"


def test_a_failed_run_without_data_is_failed(client: TestClient, add_run: RunMaker) -> None:
    add_run(DagsterRunStatus.FAILURE, partition=KEY)
    status = _status(client)
    assert (status["status"], status["collection_status"]) == ("failed", "failed")


def test_other_partitions_do_not_count(
    client: TestClient, dagster_instance: DagsterInstance, add_run: RunMaker
) -> None:
    add_run(DagsterRunStatus.STARTED, partition="20250622|2")
    dagster_instance.report_runless_asset_event(
        AssetMaterialization(
            "collected_race_day", partition="20250622|3", metadata={"race_count": 9}
        )
    )
    assert _status(client)["status"] == "pending"
