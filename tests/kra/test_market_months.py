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
from kra_pipeline.kra.market import pool_months
from kra_pipeline.kra.market.grid_rows import GRID_APIS, parse_grid_rows
from kra_pipeline.kra.market.pool_integrity import check_all, find_test_records
from kra_pipeline.kra.market.pool_months import (
    MARKET_APIS,
    MarketMonth,
    estimate_calls,
    fetch_market_month,
    fetch_month_items,
)
from kra_pipeline.kra.market.pool_sales import SALES_API, parse_sales_rows
from kra_simulator import SIMULATOR_API_KEY, SimulatorConfig, SimulatorServer
from tests.kra.race_facts import race_facts

TODAY = "20250701"
# March 2016: every pool the month grids then had, and KRA's trifecta test records (the
# trifecta was sold from June 2016): a small month, so one fetch serves every test here.
MONTH = "201603"
MEETS = (1, 2, 3)
SEOUL_DAY = "20250614"  # a day of the regular trifecta, checked through the per-day grid


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
def march(
    simulator: SimulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[int, MarketMonth], dict[str, int], dict[str, int]]]:
    """March 2016 of every meet, fetched once: the answers, the simulator's count of calls per
    API, and the client's daily-quota count of them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KRA_HOME", str(tmp_path_factory.mktemp("kra_home")))
        simulator.reset_stats()
        with client_for(simulator) as client:
            months = {meet: fetch_market_month(client, meet, MONTH) for meet in MEETS}
            used = {api: client.daily_quota.used(api) for api in MARKET_APIS}
        yield months, dict(simulator.stats.calls), used


def test_a_month_of_all_meets_gives_every_pool_of_every_race(
    simulator: SimulatorServer, march: tuple[dict[int, MarketMonth], dict[str, int], Any]
) -> None:
    months, calls, used = march
    world = simulator.world
    days = world.race_days(f"{MONTH}01", f"{MONTH}31")
    assert {meet for _, meet in days} == set(MEETS)
    # Race days have every pool but the trifecta, not yet sold (its test records are below).
    truth = {
        (day, meet, cell.race_no, cell.pool, cell.legs): cell.odds
        for day, meet in days
        for cell in world.pool_grid(meet, day)
        if cell.pool != "TRI"
    }
    got = {
        (row.race_date, row.meet, row.race_no, row.pool, row.legs): row.odds
        for month in months.values()
        for row in month.grid
        if (row.race_date, row.meet) in set(days)
    }
    assert got == truth
    assert all(row.raw and "odds" in row.raw for row in months[1].grid[:50])
    races = {key[:3] for key in truth}
    sales = Counter(row.key[:3] for month in months.values() for row in month.sales)
    assert sales == dict.fromkeys(races, 6)
    # One call per meet-month (API30_1: one per pool, as it requires `pool`); no month here
    # exceeds a page of 100,000 rows, so there are no extra pages.
    assert len(got) > 50_000
    assert calls == {"API28_1": 3, "API29_1": 3, "API30_1": 6, "API179_1": 3}
    assert used == calls  # the daily quota counts each market API on its own
    assert estimate_calls((meet, MONTH) for meet in MEETS) == calls


def test_the_simulator_s_month_passes_every_integrity_check(
    simulator: SimulatorServer, march: tuple[dict[int, MarketMonth], Any, Any]
) -> None:
    months = march[0]
    world = simulator.world
    facts = race_facts(world, world.race_days(f"{MONTH}01", f"{MONTH}31"))
    grid = [row for month in months.values() for row in month.grid]
    sales = [row for month in months.values() for row in month.sales]
    records = {(r.race_date, r.meet) for r in find_test_records(grid, sales, facts.result_days)}
    raced = [row for row in grid if (row.race_date, row.meet) not in records]
    failures = check_all(raced, sales, facts.starters, facts.finish_orders)
    assert {check: found for check, found in failures.items() if found} == {}
    assert facts.scratched_races  # the win pool is priced over the starters, after scratches


def test_a_regular_trifecta_day_passes_every_integrity_check(simulator: SimulatorServer) -> None:
    """The trifecta at its regular sales, by the same routes asked for one day (`rc_date`)."""
    with client_for(simulator) as client:
        grid = [
            row
            for api in GRID_APIS
            for row in parse_grid_rows(
                api, client._fetch_all(api, {"meet": 1, "rc_date": SEOUL_DAY})[1]
            ).combinations
        ]
        sales = parse_sales_rows(
            client._fetch_all(SALES_API, {"meet": 1, "rc_date": SEOUL_DAY})[1]
        ).rows
    facts = race_facts(simulator.world, [(SEOUL_DAY, 1)])
    assert {row.pool for row in grid} >= {"TRI", "TLA"} and facts.scratched_races
    failures = check_all(grid, sales, facts.starters, facts.finish_orders)
    assert {check: found for check, found in failures.items() if found} == {}


def test_a_month_over_a_page_is_read_in_full_with_extra_pages(
    simulator: SimulatorServer, march: tuple[dict[int, MarketMonth], Any, Any]
) -> None:
    page = 4_000
    simulator.reset_stats()
    with client_for(simulator) as client, pytest.MonkeyPatch.context() as patch:
        patch.setattr(pool_months, "MONTH_PAGE_SIZE", page)
        items = fetch_month_items(client, "API30_1", 2, MONTH)
    pools = Counter(item["pool"] for item in items)
    assert pools["TLA"] > 2 * page and pools["TRI"] > 0
    assert simulator.stats.calls["API30_1"] == sum(-(-n // page) for n in pools.values())
    keys = {
        (i["rcDate"], i["rcNo"], i["pool"], i["chulNo"], i["chulNo2"], i["chulNo3"]) for i in items
    }
    assert len(keys) == len(items)
    fetched = {(r.race_date, r.race_no, r.pool, r.legs) for r in march[0][2].grid}
    assert {k for k in fetched if k[2] in pools} == {
        (r.race_date, r.race_no, r.pool, r.legs)
        for r in parse_grid_rows("API30_1", items).combinations
    }


def test_test_record_days_are_found_in_their_month(
    simulator: SimulatorServer, march: tuple[dict[int, MarketMonth], Any, Any]
) -> None:
    march = march[0].values()
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
