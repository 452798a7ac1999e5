"""The market history pauses and resumes as the race days do: a meet-month run stopped by a
spent daily quota keeps what it stored, and after the 00:00 KST reset the resume sensor asks
for exactly the month's assets left undone, so the month completes with no API asked twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from dagster import AssetKey, instance_for_test, materialize
from sqlalchemy import text

from kra_pipeline import contract as c
from kra_pipeline.defs.market.months import market_month_assets
from kra_pipeline.defs.quota_resume import month_resume_requests, resume_requests
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.partitions import race_month_key
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import TABLE, DailyQuota
from kra_pipeline.kra.market.pool_months import MARKET_APIS
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

KEY = race_month_key("201505", 2)  # Jeju before the trifecta: one API30_1 call (TLA)
TRIPLE = names.MARKET_MONTH_GRID_ASSETS["API30_1"]


def _spend_today(api: str) -> None:
    quota = DailyQuota.from_settings(KraSettings())
    quota.take(api)
    quota.close()


def _new_kst_day() -> None:
    """What 00:00 KST does to the client's shared count of the day's calls."""
    quota = DailyQuota.from_settings(KraSettings())
    with quota.engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {TABLE}"))
    quota.close()


def test_a_quota_stopped_month_resumes_after_the_reset_and_completes(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_kra_simulator(today="20250701")
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    monkeypatch.setenv("KRA_DAILY_QUOTA_PER_API", json.dumps({"API30_1": 1}))
    _spend_today("API30_1")  # today's one API30_1 call is gone: the triple grids must stop
    with instance_for_test() as instance:
        stopped = materialize(  # the sales and the triple grids: the rest is alike and dearer
            market_month_assets,
            partition_key=KEY,
            selection=[AssetKey(names.MARKET_MONTH_SALES_ASSET), AssetKey(TRIPLE)],
            instance=instance,
            resources=default_resources(),
            raise_on_error=False,
        )
        assert not stopped.success
        run = instance.get_run_by_id(stopped.run_id)
        reset = datetime.fromisoformat(run.tags[c.DAILY_QUOTA_TAG])
        done = {
            key.to_user_string()
            for key in map(AssetKey, [names.MARKET_MONTH_SALES_ASSET, TRIPLE])
            if KEY in {str(p) for p in instance.get_materialized_partitions(key)}
        }
        assert done == {names.MARKET_MONTH_SALES_ASSET}  # kept; the triple grids not
        assert server.stats.calls["API30_1"] == 0

        assert month_resume_requests(instance, datetime.now(UTC)) == []  # not before the reset
        after_reset = reset + timedelta(minutes=1)
        assert resume_requests(instance, after_reset) == []  # not a race-day run
        requests = month_resume_requests(instance, after_reset)
        assert [(r.partition_key, r.asset_selection) for r in requests] == [
            (KEY, [AssetKey(TRIPLE)])
        ]
        assert requests[0].tags[names.RESUMES_RUN_TAG] == stopped.run_id

        _new_kst_day()
        before = {api: server.stats.calls[api] for api in MARKET_APIS}
        resumed = materialize(
            market_month_assets,
            partition_key=requests[0].partition_key,
            selection=requests[0].asset_selection,
            instance=instance,
            resources=default_resources(),
            tags=requests[0].tags,
        )
        assert resumed.success
        made = {api: server.stats.calls[api] - before[api] for api in MARKET_APIS}
        assert made == {"API28_1": 0, "API29_1": 0, "API30_1": 1, "API179_1": 0}
        assert month_resume_requests(instance, after_reset) == []  # nothing left to resume
