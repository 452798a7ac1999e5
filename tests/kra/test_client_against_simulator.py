"""KraClient over real HTTP against the offline KRA simulator: what the pipeline relies on."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.errors import KraConfigurationError
from kra_pipeline.races.models import HorseDetail, JockeyDetail, parse_race_day
from kra_simulator.config import SIMULATOR_API_KEY, SimulatorConfig
from kra_simulator.server import SimulatorServer

TODAY = "20250701"  # June 2025 is in the past of this world: its days carry results


def client_settings(server: SimulatorServer, **overrides: Any) -> KraSettings:
    values: dict[str, Any] = {
        "api_base_url": f"{server.base_url}/B551015",
        "api_key": SIMULATOR_API_KEY,
        "api_backoff_seconds": 0.01,
        "rate_limit_per_minute": 10_000,
    }
    return KraSettings(**(values | overrides))


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(today=TODAY)) as server:
        yield server


@pytest.fixture
def client(simulator: SimulatorServer) -> Iterator[KraClient]:
    simulator.reset_stats()
    with KraClient(client_settings(simulator)) as kra:
        yield kra


def first_day_of_each_meet(server: SimulatorServer) -> list[tuple[str, int]]:
    seen: dict[int, str] = {}
    for race_date, meet in server.world.race_days("20250601", "20250615"):
        seen.setdefault(meet, race_date)
    return sorted((race_date, meet) for meet, race_date in seen.items())


def test_whole_day_of_each_meet_matches_the_world(
    simulator: SimulatorServer, client: KraClient
) -> None:
    days = first_day_of_each_meet(simulator)
    assert {meet for _, meet in days} == {1, 2, 3}
    for race_date, meet in days:
        answer = client.fetch_race_day(meet, race_date)
        expected = simulator.world.race_day_items(meet, race_date)
        assert answer.items == expected
        assert answer.total_count == len(expected)
        entrants = parse_race_day(answer.pages)
        assert len(entrants) == len(expected)
        assert {e.race_date for e in entrants} == {race_date}
    # One paginated call per day: a large page, never KRA's default of 10 rows.
    assert client.stats.calls["API214_1"] == len(days)
    assert simulator.stats.calls["API214_1"] == len(days)


def test_one_race_and_a_race_past_the_last(simulator: SimulatorServer, client: KraClient) -> None:
    race_date, meet = first_day_of_each_meet(simulator)[0]
    second = client.fetch_race_day(meet, race_date, race_no=2)
    assert second.items == simulator.world.race_day_items(meet, race_date, race_no=2)
    assert {item["rcNo"] for item in second.items} == {2}
    assert client.fetch_race_day(meet, race_date, race_no=40).items == []


def test_details_of_a_day_s_horse_and_jockey(simulator: SimulatorServer, client: KraClient) -> None:
    race_date, meet = first_day_of_each_meet(simulator)[0]
    entrant = simulator.world.race_day_items(meet, race_date)[0]
    horse = client.fetch_horse(str(int(entrant["hrNo"])))
    assert horse == HorseDetail.from_item(simulator.world.horse_item(entrant["hrNo"]) or {})
    jockey = client.fetch_jockey(entrant["jkNo"])
    assert jockey == JockeyDetail.from_item(simulator.world.jockey_item(entrant["jkNo"]) or {})
    assert client.fetch_trainer("999999") is None
    jockeys = client.list_jockeys(meet)
    assert [j.jockey_no for j in jockeys] == [
        JockeyDetail.from_item(item).jockey_no for item in simulator.world.jockey_items(meet)
    ]
    assert len(client.list_horses(meet)) == len(simulator.world.horse_items(meet))


def test_horse_listing_with_retired_horses_pages_through_the_whole_registry(
    simulator: SimulatorServer,
) -> None:
    meet = 3
    everyone = simulator.world.horse_items(meet, include_retired=True)
    simulator.reset_stats()
    with KraClient(client_settings(simulator, api_page_size=500)) as kra:
        listed = kra.list_horses(meet, include_retired=True)
        active = kra.list_horses(meet)
    assert listed == [HorseDetail.from_item(item) for item in everyone]
    assert len(active) == len(simulator.world.horse_items(meet)) < len(listed)
    pages = -(-len(everyone) // 500) + -(-len(active) // 500)
    assert kra.stats.calls["API8_2"] == simulator.stats.calls["API8_2"] == pages
    # A horse of an old race day that no longer races is in the retired-inclusive listing only.
    race_date = next(d for d, m in simulator.world.race_days("20190601", "20190630") if m == meet)
    field = {
        HorseDetail.from_item(simulator.world.horse_item(item["hrNo"]) or {}).horse_no
        for item in simulator.world.race_day_items(meet, race_date)
    }
    retired = field - {h.horse_no for h in active}
    assert retired and retired <= {h.horse_no for h in listed}


def test_days_come_back_complete_through_15_percent_faults() -> None:
    config = SimulatorConfig(
        today=TODAY,
        fault_rate=0.15,
        fault_kinds=("server_error", "truncated", "slow", "gateway_error"),
        slow_seconds=0.5,
        fault_seed=7,
    )
    with SimulatorServer(config) as server:
        settings = client_settings(server, api_timeout_seconds=0.2, api_max_attempts=10)
        with KraClient(settings) as kra:
            days = server.world.race_days("20250601", "20250630")
            for race_date, meet in days:
                answer = kra.fetch_race_day(meet, race_date)
                assert answer.items == server.world.race_day_items(meet, race_date)
        assert sum(server.stats.faults.values()) > 0
        assert kra.stats.total_retries > 0
        assert kra.stats.total_calls == server.stats.total_calls
        assert kra.stats.total_calls == len(days) + kra.stats.total_retries


def test_wrong_key_fails_at_once_with_the_actionable_message(simulator: SimulatorServer) -> None:
    simulator.reset_stats()
    settings = client_settings(simulator, api_key="not-the-key")
    with KraClient(settings) as kra, pytest.raises(KraConfigurationError) as caught:
        kra.fetch_race_day(1, "20250601")
    assert "KRA_API_KEY is not registered for API214_1" in str(caught.value)
    assert "not-the-key" not in str(caught.value)
    assert simulator.stats.total_calls == 1
    assert simulator.stats.key_rejections == 1


def test_key_with_plus_slash_and_equals_arrives_decoded_intact() -> None:
    key = "Ab+cD/eF==+/="
    with SimulatorServer(SimulatorConfig(today=TODAY, api_keys=frozenset({key}))) as server:
        with KraClient(client_settings(server, api_key=key)) as kra:
            race_date, meet = server.world.race_days("20250601", "20250601")[0]
            assert kra.fetch_race_day(meet, race_date).items
        assert server.stats.key_rejections == 0


def _collect_days(settings_values: dict[str, Any], home: str, days: list[tuple[str, int]]) -> int:
    """One pipeline process: its own client, the shared KRA_HOME (so the shared limiter)."""
    import os

    os.environ["KRA_HOME"] = home
    with KraClient(KraSettings(**settings_values)) as kra:
        for race_date, meet in days:
            kra.fetch_race_day(meet, race_date)
        return kra.stats.total_calls


@pytest.mark.slow
def test_processes_sharing_kra_home_stay_within_the_window(isolated_kra_home: Path) -> None:
    limit, window, processes, days_each = 5, 2.0, 3, 4
    config = SimulatorConfig(today=TODAY, quota_per_window=limit, quota_window_seconds=window)
    with SimulatorServer(config) as server:
        values = {
            "api_base_url": f"{server.base_url}/B551015",
            "api_key": SIMULATOR_API_KEY,
            "rate_limit_per_minute": limit,
            "rate_limit_window_seconds": window,
            "api_max_attempts": 1,  # a quota refusal would surface as a failure
        }
        days = server.world.race_days("20250601", "20250630")
        shares = [days[i * days_each : (i + 1) * days_each] for i in range(processes)]
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            calls = pool.starmap(
                _collect_days, [(values, str(isolated_kra_home), share) for share in shares]
            )
        assert sum(calls) == processes * days_each
        assert server.stats.total_calls == processes * days_each > limit
        assert server.stats.quota_violations == 0
        assert server.stats.peak_window_requests <= limit
