"""A backfill that meets the daily quota: KRA never gets more than the quota's calls in its day,
the race days stored before the stop count as done, and after the (simulated) 00:00 KST reset
the resume sensor asks for exactly the days left, so every day ends collected, none fetched
twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test, materialize
from sqlalchemy import text

from kra_api.gateway import DagsterGateway
from kra_api.services.collection_status import compute_collection_status
from kra_pipeline import contract as c
from kra_pipeline.defs.quota_resume import resume_requests
from kra_pipeline.defs.race_days import collected_race_day, raw_race_day
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import TABLE, DailyQuota
from kra_pipeline.races.models import RaceEntrant, group_races
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import load_collected_race_day
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

DAYS = [f"202505{d:02d}" for d in range(1, 8)]  # a week of one meet, racing or not
QUOTA = 4
ASSETS = [raw_race_day, collected_race_day]


def _materialize(instance: DagsterInstance, tags: dict[str, str], selection=None):
    return materialize(
        ASSETS,
        instance=instance,
        resources=default_resources(),
        tags=tags,
        selection=selection,
        raise_on_error=False,
    )


def _materialized(instance: DagsterInstance, asset: str) -> set[str]:
    return {str(k) for k in instance.get_materialized_partitions(AssetKey(asset))}


def _new_kst_day(server: SimulatorServer) -> None:
    """What 00:00 KST does: KRA's count and the client's shared count start again."""
    server.app.daily.clock = lambda: time.time() + 86_400
    quota = DailyQuota.from_settings(KraSettings())
    with quota.engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {TABLE}"))
    quota.close()


def test_a_quota_stopped_backfill_resumes_after_the_reset_and_completes(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_kra_simulator(daily_quota=QUOTA)
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    monkeypatch.setenv("KRA_HISTORY_SOURCE", "day")  # one API214_1 call per race day
    monkeypatch.setenv("KRA_DAILY_QUOTA", str(QUOTA))
    keys = [f"{day}|1" for day in DAYS]
    with instance_for_test() as instance:
        stopped = _materialize(
            instance, {names.RANGE_START_TAG: keys[0], names.RANGE_END_TAG: keys[-1]}
        )
        assert not stopped.success
        assert server.stats.calls["API214_1"] == QUOTA  # never more than the day's quota
        assert server.stats.quota_violations == 0
        run = instance.get_run_by_id(stopped.run_id)
        reset = datetime.fromisoformat(run.tags[c.DAILY_QUOTA_TAG])
        assert reset > datetime.now(UTC)
        assert _materialized(instance, c.RAW_ASSET) == set(keys[:QUOTA])  # kept, not lost
        assert _materialized(instance, c.COLLECTED_ASSET) == set()

        gateway = DagsterGateway("http://127.0.0.1:9", instance=instance)
        for day in (DAYS[0], DAYS[-1]):  # stored raw but not collected, and not fetched at all
            status = compute_collection_status(gateway, day, 1)
            assert status["status"] == status["collection_status"] == "waiting", status
            assert status["waiting_until"] == reset

        assert resume_requests(instance, datetime.now(UTC)) == []  # not before the reset

        _new_kst_day(server)
        after_reset = reset + timedelta(minutes=1)
        requests = resume_requests(instance, after_reset)
        asked = {
            tuple(str(a.to_user_string()) for a in r.asset_selection): (
                r.tags.get(names.RANGE_START_TAG, r.tags.get(c.PARTITION_TAG)),
                r.tags.get(names.RANGE_END_TAG, r.tags.get(c.PARTITION_TAG)),
            )
            for r in requests
        }
        assert asked == {
            (c.COLLECTED_ASSET,): (keys[0], keys[QUOTA - 1]),  # stored: only collect them
            (c.COLLECTED_ASSET, c.RAW_ASSET): (keys[QUOTA], keys[-1]),
        }
        assert all(r.tags[names.RESUMES_RUN_TAG] == stopped.run_id for r in requests)
        for request in requests:
            assert _materialize(instance, request.tags, request.asset_selection).success

        assert _materialized(instance, c.COLLECTED_ASSET) == set(keys)
        assert server.stats.calls["API214_1"] == len(DAYS)  # no day was fetched twice
        assert resume_requests(instance, after_reset) == []  # nothing left to resume
        for day in (DAYS[0], DAYS[-1]):
            status = compute_collection_status(gateway, day, 1)
            assert status["collection_status"] == "completed", status
            assert status["waiting_until"] is None
    engine = get_engine()
    for day in DAYS:
        truth = group_races(RaceEntrant.from_item(i) for i in server.world.race_day_items(1, day))
        stored = load_collected_race_day(engine, day, 1)
        assert [(r.race_no, len(r.entrants)) for r in stored] == [
            (r.race_no, len(r.entrants)) for r in truth
        ], day
