"""Drill: KRA misbehaves on 15% of requests during a two-week backfill, and nothing is lost.

Every date × meet of the range is materialized with the real assets while the simulator
answers with 5xx, truncated bodies and answers slower than the client's timeout. Each partition
must end with exactly the simulator's races and complete enrichment.
"""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from kra_pipeline.store.db import get_engine
from tests.drills.conftest import DrillSimulator
from tests.drills.race_days import backfill_partitions, materialize_race_day, race_day_problems

FAULT_KINDS = ("server_error", "truncated", "slow")


@pytest.mark.slow
def test_a_two_week_backfill_through_15_percent_faults_loses_nothing(
    drill_simulator: DrillSimulator, ephemeral_instance: DagsterInstance
) -> None:
    # A slow answer takes longer than KRA_API_TIMEOUT_SECONDS=1, so the client gives up on it.
    simulator = drill_simulator(fault_rate=0.15, fault_kinds=FAULT_KINDS, slow_seconds=1.5)
    keys = backfill_partitions()
    assert len(keys) == 14 * 3

    failed = [
        key
        for key in keys
        if not materialize_race_day(ephemeral_instance, key, raise_on_error=False).success
    ]

    assert failed == []
    engine = get_engine()
    problems = [p for key in keys for p in race_day_problems(engine, simulator.world, key)]
    assert problems == []
    # The drill only means something if every kind of fault was actually served.
    faults = simulator.stats.faults
    assert set(faults) == set(FAULT_KINDS), faults
    assert sum(faults.values()) >= 0.05 * simulator.stats.total_calls
