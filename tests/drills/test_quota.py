"""Drill: the KRA quota. Refusals (code 22 and HTTP 429) make runs wait, never lose rows; and
with the limiter set to the quota, parallel runs never provoke a refusal at all."""

from __future__ import annotations

import os

import pytest
from dagster import DagsterInstance

from kra_pipeline.store.db import get_engine
from tests.drills.conftest import DrillSimulator
from tests.drills.race_days import (
    MEETS,
    materialize_race_day,
    race_day_problems,
    split,
)
from tests.drills.workers import materialize_partitions, pipeline_pool

QUOTA, WINDOW = 4, 1.0
# Enrichment lists a meet's horses, jockeys and trainers back to back: 3-4 calls in well under
# a second, right after the race-day call, so a quota of 3 per 2 s is certainly exceeded.
TIGHT_QUOTA, TIGHT_WINDOW = 3, 2.0


def race_day_keys(simulator_world, first: str, last: str) -> list[str]:
    return [f"{day}|{meet}" for day, meet in simulator_world.race_days(first, last)]


@pytest.mark.slow
def test_refused_over_quota_requests_wait_and_the_rows_are_complete(
    drill_simulator: DrillSimulator, ephemeral_instance: DagsterInstance
) -> None:
    # The limiter allows ten times what the simulator serves: KRA is bound to refuse.
    simulator = drill_simulator(
        quota_per_window=TIGHT_QUOTA,
        quota_window_seconds=TIGHT_WINDOW,
        quota_mode="mixed",
        env={
            "KRA_RATE_LIMIT_PER_MINUTE": str(TIGHT_QUOTA * 10),
            "KRA_RATE_LIMIT_WINDOW_SECONDS": str(TIGHT_WINDOW),
            "KRA_API_MAX_ATTEMPTS": "15",
        },
    )
    keys = race_day_keys(simulator.world, "20250606", "20250607")
    assert {split(key)[1] for key in keys} == set(MEETS)

    results = {
        key: materialize_race_day(ephemeral_instance, key, raise_on_error=False) for key in keys
    }

    assert [key for key, result in results.items() if not result.success] == []
    assert simulator.stats.quota_violations > 0
    engine = get_engine()
    assert [p for key in keys for p in race_day_problems(engine, simulator.world, key)] == []
    # The client absorbed every refusal: no step had to be retried by Dagster.
    step_retries = [
        event
        for result in results.values()
        for event in result.all_events
        if event.event_type_value == "STEP_UP_FOR_RETRY"
    ]
    assert step_retries == []


@pytest.mark.slow
def test_parallel_runs_under_the_shared_limiter_never_exceed_the_quota(
    drill_simulator: DrillSimulator,
) -> None:
    simulator = drill_simulator(
        quota_per_window=QUOTA,
        quota_window_seconds=WINDOW,
        quota_mode="mixed",
        env={
            "KRA_RATE_LIMIT_PER_MINUTE": str(QUOTA),
            "KRA_RATE_LIMIT_WINDOW_SECONDS": str(WINDOW),
        },
    )
    keys = race_day_keys(simulator.world, "20250606", "20250614")
    by_meet = [[key for key in keys if split(key)[1] == meet] for meet in MEETS]
    env = {name: value for name, value in os.environ.items() if name.startswith("KRA_")}

    with pipeline_pool(len(MEETS)) as pool:
        outcomes = list(pool.map(materialize_partitions, [env] * len(by_meet), by_meet))

    assert all(ok for outcome in outcomes for ok in outcome.values()), outcomes
    assert simulator.stats.total_calls > 3 * QUOTA  # the limiter really had to hold runs back
    assert simulator.stats.quota_violations == 0
    assert simulator.stats.peak_window_requests <= QUOTA
    engine = get_engine()
    assert [p for key in keys for p in race_day_problems(engine, simulator.world, key)] == []
