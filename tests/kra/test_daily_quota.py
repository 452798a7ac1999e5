"""The daily quota per API per KST day: counted across clients sharing KRA_HOME, never passed,
and a spent quota stops at once (no retry) naming the API, the count and the 00:00 KST reset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from dagster import instance_for_test, materialize

from kra_pipeline.contract import (
    KST,
)
from kra_pipeline.defs.race_days import raw_race_day
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import DailyQuota, next_reset
from kra_pipeline.kra.errors import KraDailyQuotaError
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

DAYS = ["20250601", "20250602", "20250603", "20250604", "20250605"]


def settings(server: SimulatorServer, **extra: object) -> KraSettings:
    return KraSettings(
        api_base_url=server.base_url, api_key=SIMULATOR_API_KEY, history_source="day", **extra
    )


def test_the_simulator_never_gets_more_than_the_quota_of_one_api(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    server = start_kra_simulator(daily_quota=3)
    with KraClient(settings(server, daily_quota=3)) as first:
        for day in DAYS[:2]:
            first.fetch_race_day(1, day)
    with KraClient(settings(server, daily_quota=3)) as second:  # another process, same count
        second.fetch_race_day(1, DAYS[2])
        with pytest.raises(KraDailyQuotaError) as raised:
            second.fetch_race_day(1, DAYS[3])
        second.fetch_scratches(1, DAYS[3])  # another API has its own quota
        assert second.stats.retries["API214_1"] == 0
    assert server.stats.calls["API214_1"] == 3
    assert server.stats.quota_violations == 0
    message = str(raised.value)
    assert "API214_1" in message and "3 of 3 calls" in message and "00:00 KST" in message


def test_per_api_overrides_and_zero_lifts_the_quota(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/limits.sqlite"
    quota = DailyQuota({"API4_3": 1}, 0, url)
    now = dt.datetime(2025, 6, 10, 23, 59, tzinfo=KST)
    for _ in range(50):
        quota.take("API214_1", now)  # no default quota
    quota.take("API4_3", now)
    with pytest.raises(KraDailyQuotaError, match="2025-06-11 00:00 KST"):
        quota.take("API4_3", now)
    quota.take("API4_3", now + dt.timedelta(minutes=2))  # a new KST day
    assert quota.used("API4_3", now) == 1
    assert next_reset(dt.datetime(2025, 6, 10, 15, 30, tzinfo=dt.UTC)) == dt.datetime(
        2025, 6, 12, 0, 0, tzinfo=KST
    )
    quota.close()


def test_a_step_over_the_quota_fails_at_once_without_retries(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_kra_simulator()
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    monkeypatch.setenv("KRA_HISTORY_SOURCE", "day")
    monkeypatch.setenv("KRA_DAILY_QUOTA", "1")
    with instance_for_test() as instance:
        first = materialize(
            [raw_race_day],
            partition_key=f"{DAYS[0]}|1",
            instance=instance,
            resources=default_resources(),
        )
        assert first.success
        second = materialize(
            [raw_race_day],
            partition_key=f"{DAYS[1]}|1",
            instance=instance,
            resources=default_resources(),
            raise_on_error=False,
        )
    assert not second.success
    failures = [e for e in second.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1  # no step retry
    assert "daily quota of API214_1 is spent" in str(failures[0].event_specific_data.error)
    assert [e for e in second.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"] == []
    assert server.stats.calls["API214_1"] == 1


def test_a_quota_refusal_that_outlasts_a_short_wait_is_the_daily_quota(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    """KRA's own count says no (code 22) though ours was lifted: after the short retries the
    client stops as for a spent daily quota instead of retrying for a quarter of an hour."""
    server = start_kra_simulator(daily_quota=1)
    quick = {"daily_quota": 0, "api_max_attempts": 3, "api_backoff_seconds": 0.05}
    with KraClient(settings(server, **quick)) as client:
        client.fetch_race_day(1, DAYS[0])
        with pytest.raises(KraDailyQuotaError) as raised:
            client.fetch_race_day(1, DAYS[1])
    assert server.stats.calls["API214_1"] == 1 + 3
    message = str(raised.value)
    assert "treated as this key's daily quota" in message and "00:00 KST" in message


def test_a_long_retry_after_is_not_waited_for(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    server = start_kra_simulator(quota_per_window=1, quota_window_seconds=600, quota_mode="429")
    with KraClient(settings(server, daily_quota=0, rate_limit_per_minute=1000)) as client:
        client.fetch_race_day(1, DAYS[0])
        with pytest.raises(KraDailyQuotaError, match="HTTP 429"):
            client.fetch_race_day(1, DAYS[1])
        assert client.stats.retries["API214_1"] == 0
    assert server.stats.calls["API214_1"] == 2
