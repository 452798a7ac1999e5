"""A backfill says what it will cost before it is launched, and the estimate holds: the calls
the race-day assets then make against the simulator are within 10% of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from dagster import DagsterInstance, materialize
from fastapi.testclient import TestClient

from kra_api.services.backfill_costs import estimate_backfill
from kra_api.services.backfill_estimate import is_settled as estimated_settled
from kra_pipeline.contract import kst_today
from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.history.sources import is_settled
from kra_pipeline.store.db import get_engine
from kra_simulator import SimulatorServer
from tests.api.conftest import HEADERS_A

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
BACKFILL = "/api/v2/collection/backfill"


def _keys(first: date, last: date, meet: int) -> list[str]:
    days = (last - first).days + 1
    return [f"{first + timedelta(days=n):%Y%m%d}|{meet}" for n in range(days)]


def _run(keys: list[str], instance: DagsterInstance, server: SimulatorServer) -> dict[str, int]:
    """Materialize the race-day assets over `keys` as one backfill run does; calls per API."""
    before = dict(server.stats.calls)
    result = materialize(
        race_day_assets,
        instance=instance,
        resources=default_resources(),
        tags=dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True)),
    )
    assert result.success
    return {api: n - before.get(api, 0) for api, n in server.stats.calls.items()}


def test_the_estimate_matches_the_calls_a_backfill_makes(
    simulator_env: SimulatorServer, dagster_instance: DagsterInstance
) -> None:
    engine = get_engine()
    today = kst_today()
    # two past months of Seoul: month answers and the registry listings with retired horses
    past = _keys(date(2024, 9, 1), date(2024, 10, 31), 1)
    expected = estimate_backfill(engine, past)
    made = _run(past, dagster_instance, simulator_env)
    assert abs(expected.total_calls - sum(made.values())) <= 0.1 * sum(made.values()), (
        expected.calls,
        made,
    )
    assert expected.calls["API4_3"] == made["API4_3"]
    # then the recent days: per day, the listings just taken are fresh and cost nothing
    recent = _keys(today - timedelta(days=4), today - timedelta(days=1), 1)
    expected = estimate_backfill(engine, recent)
    made = _run(recent, dagster_instance, simulator_env)
    assert expected.calls["API214_1"] == made.get("API214_1", 0) == len(recent)
    assert abs(expected.total_calls - sum(made.values())) <= 0.1 * sum(made.values()), (
        expected.calls,
        made,
    )
    # and the same months again: stored month answers and fresh listings make it free
    assert estimate_backfill(engine, past).total_calls == 0


@pytest.mark.parametrize("days_ago", [0, 6, 7, 8, 400])
def test_the_estimate_settles_a_day_as_the_pipeline_does(days_ago: int) -> None:
    today = date(2026, 12, 4)
    race_date = f"{today - timedelta(days=days_ago):%Y%m%d}"
    assert estimated_settled(race_date, today, 7) == is_settled(race_date, today, 7)


def test_dry_run_answers_the_estimate_and_launches_nothing(
    client: TestClient, dagster_instance: DagsterInstance
) -> None:
    body = {"date_from": "20240901", "date_to": "20241031", "meets": [1, 3], "dry_run": True}
    answer = client.post(BACKFILL, json=body, headers=HEADERS_A)
    assert answer.status_code == 200, answer.text
    estimate = answer.json()["estimate"]
    assert estimate["partitions"] == 61 * 2
    assert estimate["kra_calls"]["API4_3"] >= 4  # two months of two meets
    assert estimate["kra_calls_total"] == sum(estimate["kra_calls"].values())
    assert estimate["quota_days"] > 0 and estimate["daily_quota"]["API4_3"] == 3000
    assert answer.json()["needs_confirm"] is False
    assert dagster_instance.get_backfills() == []


def test_a_large_backfill_needs_confirm(
    make_client: Callable[..., TestClient], dagster_instance: DagsterInstance
) -> None:
    client = make_client(API_BACKFILL_CONFIRM_PARTITIONS=10)
    body = {"date_from": "20240901", "date_to": "20240905"}  # 5 days x 3 meets
    answer = client.post(BACKFILL, json=body, headers=HEADERS_A)
    assert answer.status_code == 422
    assert "confirm=true" in answer.json()["detail"]
    assert "API_BACKFILL_CONFIRM_PARTITIONS=10" in answer.json()["detail"]
    assert answer.json()["estimate"]["partitions"] == 15
    assert dagster_instance.get_backfills() == []
    # confirmed, it goes on to the launch (no webserver in these tests: 503)
    confirmed = client.post(BACKFILL, json={**body, "confirm": True}, headers=HEADERS_A)
    assert confirmed.status_code == 503
