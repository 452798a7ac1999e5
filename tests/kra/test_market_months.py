"""The market by meet × month through KraClient against the simulator: every pool's grid and
every pool's sales of every race, in about one call per meet-month per API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.errors import KraConfigurationError, KraRequestError
from kra_pipeline.kra.market.pool_integrity import check_all, find_test_records
from kra_pipeline.kra.market.pool_months import (
    MARKET_APIS,
    MarketMonth,
    estimate_calls,
    fetch_market_month,
    fetch_month_items,
)
from kra_simulator import SIMULATOR_API_KEY, SimulatorConfig, SimulatorServer
from tests.kra.race_facts import race_facts

TODAY = "20250701"
MONTH = "202506"
MEETS = (1, 2, 3)


def client_for(server: SimulatorServer) -> KraClient:
    return KraClient(
        KraSettings(
            api_base_url=f"{server.base_url}/B551015",
            api_key=SIMULATOR_API_KEY,
            api_backoff_seconds=0.01,
            rate_limit_per_minute=10_000,
        )
    )


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(today=TODAY)) as server:
        yield server


@pytest.fixture(scope="module")
def june(
    simulator: SimulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[int, MarketMonth], dict[str, int], dict[str, int]]]:
    """June 2025 of every meet, fetched once: the answers, the simulator's count of calls per
    API, and the client's daily-quota count of them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KRA_HOME", str(tmp_path_factory.mktemp("kra_home")))
        simulator.reset_stats()
        with client_for(simulator) as client:
            months = {meet: fetch_market_month(client, meet, MONTH) for meet in MEETS}
            used = {api: client.daily_quota.used(api) for api in MARKET_APIS}
        yield months, dict(simulator.stats.calls), used


def test_a_month_of_all_meets_gives_every_pool_of_every_race(
    simulator: SimulatorServer, june: tuple[dict[int, MarketMonth], dict[str, int], Any]
) -> None:
    months, calls, used = june
    world = simulator.world
    days = world.race_days(f"{MONTH}01", f"{MONTH}30")
    assert {meet for _, meet in days} == set(MEETS)
    truth = {
        (day, meet, cell.race_no, cell.pool, cell.legs): cell.odds
        for day, meet in days
        for cell in world.pool_grid(meet, day)
    }
    got = {
        (row.race_date, row.meet, row.race_no, row.pool, row.legs): row.odds
        for month in months.values()
        for row in month.grid
    }
    assert got == truth
    assert all(row.raw and "odds" in row.raw for row in months[1].grid[:50])
    races = {key[:3] for key in truth}
    sales = Counter(row.key[:3] for month in months.values() for row in month.sales)
    assert sales == dict.fromkeys(races, 7)
    # One call per meet-month (API30_1: one per pool, as it requires `pool`); no month here
    # exceeds a page of 100,000 rows, so there are no extra pages.
    assert calls == {"API28_1": 3, "API29_1": 3, "API30_1": 6, "API179_1": 3}
    assert used == calls  # the daily quota counts each market API on its own
    assert estimate_calls((meet, MONTH) for meet in MEETS) == calls


def test_the_simulator_s_month_passes_every_integrity_check(
    simulator: SimulatorServer, june: tuple[dict[int, MarketMonth], Any, Any]
) -> None:
    months = june[0]
    grid = [row for month in months.values() for row in month.grid]
    sales = [row for month in months.values() for row in month.sales]
    facts = race_facts(simulator.world, simulator.world.race_days(f"{MONTH}01", f"{MONTH}30"))
    failures = check_all(grid, sales, facts.starters, facts.finish_orders)
    assert {
        check: found for check, found in failures.items() if found and check != "overround"
    } == {}
    # Today's simulator prices the win pool before scratches: only races with a scratched
    # runner may stray (the simulator change pricing after scratches removes these too).
    assert all(
        f.pool == "WIN" and (f.race_date, f.meet, f.race_no) in facts.scratched_races
        for f in failures["overround"]
    )
    assert find_test_records(grid, sales, facts.result_days) == []


def test_a_month_over_a_page_is_read_in_full_with_one_extra_page(
    simulator: SimulatorServer,
) -> None:
    simulator.reset_stats()
    with client_for(simulator) as client:
        items = fetch_month_items(client, "API30_1", 1, "201607")
    pools = Counter(item["pool"] for item in items)
    assert pools["TRI"] > 100_000 and pools["TLA"] > 0
    assert simulator.stats.calls["API30_1"] == 3  # TLA, then TRI in two pages


def test_test_record_days_are_found_in_their_month(simulator: SimulatorServer) -> None:
    with client_for(simulator) as client:
        march = [fetch_market_month(client, meet, "201603") for meet in MEETS]
    grid = [row for month in march for row in month.grid]
    sales = [row for month in march for row in month.sales]
    facts = race_facts(simulator.world, simulator.world.race_days("20160301", "20160331"))
    records = find_test_records(grid, sales, facts.result_days)
    assert [(r.race_date, r.meet, r.races) for r in records] == [
        ("20160315", 1, 5),
        ("20160315", 2, 3),
        ("20160317", 3, 1),
    ]
    assert all(r.cells > 0 and "no sales and no results" in r.reason for r in records)
    tri_days = {(row.race_date, row.meet) for row in grid if row.pool == "TRI"}
    assert tri_days == {(r.race_date, r.meet) for r in records}  # TRI before its sales: tests


def test_no_call_for_a_month_before_the_pools_existed(simulator: SimulatorServer) -> None:
    simulator.reset_stats()
    with client_for(simulator) as client:
        assert fetch_month_items(client, "API30_1", 1, "200812") == []
        assert fetch_month_items(client, "API29_1", 3, "200508") == []
        assert fetch_month_items(client, "API179_1", 3, "200508") == []  # Busan opened 2005-09
        assert fetch_month_items(client, "API179_1", 1, "199012") == []  # sales from 1991-01
    assert simulator.stats.total_calls == 0


@pytest.mark.parametrize(
    ("setting", "error"),
    [("unserved_apis", KraRequestError), ("refused_apis", KraConfigurationError)],
)
def test_a_withdrawn_or_refused_month_api_fails_with_its_code(
    start_kra_simulator, setting: str, error: type[Exception]
) -> None:
    server = start_kra_simulator(today=TODAY, **{setting: {"API28_1"}})
    with client_for(server) as client, pytest.raises(error, match="API28_1"):
        fetch_month_items(client, "API28_1", 1, MONTH)


def test_rows_of_another_month_mean_the_filter_was_ignored(start_kra_simulator) -> None:
    server = start_kra_simulator(today="20250720", ignored_params={"rc_month"})
    with client_for(server) as client, pytest.raises(KraRequestError, match="filter was ignored"):
        fetch_month_items(client, "API179_1", 1, MONTH)
