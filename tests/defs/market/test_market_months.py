"""The market by meet × month as Dagster assets against the simulator: one call per month API,
every pool of every race stored, the integrity checks in the UI, the per-day route for a key
KRA will not serve a month API, and test records kept apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dagster import MultiPartitionKey, instance_for_test, materialize

from kra_pipeline.defs.market.months import market_month_assets, market_month_grids
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.history.market_sources import fetch_grid_month
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.market.grid_rows import GRID_APIS
from kra_pipeline.kra.market.month_integrity import GRID_CHECKS, SALES_CHECKS, check_grid_month
from kra_pipeline.kra.market.pools import GridRow
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.market_months import (
    grid_sources,
    load_grid_month,
    load_sales_month,
)
from kra_pipeline.store.month_results import month_results
from kra_simulator import SIMULATOR_API_KEY, SimulatorConfig, SimulatorServer

TODAY = "20250701"
# Jeju's March 2016: regular race days, and a day of test records (20160315: trifecta grids
# before KRA sold the pool, no sales, no results). Small enough to keep the module fast.
MONTH = "201603"
JEJU = 2
TEST_DAY = "20160315"


def month_key(meet: int, month: str) -> MultiPartitionKey:
    return MultiPartitionKey({"meet": str(meet), "month": month})


def run(meet: int, month: str, assets: list[Any] | None = None) -> Any:
    with instance_for_test() as instance:
        return materialize(
            assets or market_month_assets,
            partition_key=month_key(meet, month),
            instance=instance,
            resources=default_resources(),
        )


def checks_of(result: Any) -> dict[tuple[str, str], bool]:
    return {
        (evaluation.asset_key.path[-1], evaluation.check_name): evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }


def metadata_of(result: Any, asset: str) -> dict[str, Any]:
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == asset
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


STORE: dict[str, str] = {}


def store() -> Any:
    """The module's race store (each test body gets its own KRA_HOME)."""
    return get_engine(STORE["url"])


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("kra_home")
        STORE["url"] = f"sqlite:///{home / 'races.sqlite'}"
        patch.setenv("KRA_HOME", str(home))
        patch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
        patch.setenv("KRA_API_BACKOFF_SECONDS", "0.01")
        patch.setenv("KRA_RATE_LIMIT_PER_MINUTE", "100000")
        dispose_engines()
        yield patch
        dispose_engines()


@pytest.fixture(scope="module")
def simulator(environment: pytest.MonkeyPatch) -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(today=TODAY)) as server:
        environment.setenv("KRA_API_BASE_URL", server.base_url)
        yield server


@pytest.fixture(scope="module")
def june(simulator: SimulatorServer) -> tuple[Any, dict[str, int]]:
    """Jeju's March 2016, every month market asset materialized once."""
    simulator.reset_stats()
    result = run(JEJU, MONTH)
    assert result.success
    return result, dict(simulator.stats.calls)


def test_a_month_stores_every_pool_of_every_race_in_one_call_per_api(
    simulator: SimulatorServer, june: tuple[Any, dict[str, int]]
) -> None:
    result, calls = june
    world = simulator.world
    days = [d for d, meet in world.race_days(f"{MONTH}01", f"{MONTH}31") if meet == JEJU]
    assert days and TEST_DAY not in days
    # KRA's month grids have trifecta from 2016-06 on (before, only on test-record days).
    truth = {
        (day, cell.race_no, cell.pool, cell.legs): cell.odds
        for day in days
        for cell in world.pool_grid(JEJU, day)
        if cell.pool != "TRI"
    }
    engine = store()
    stored = load_grid_month(engine, JEJU, MONTH)
    got = {(r.race_date, r.race_no, r.pool, r.legs): r.odds for r in stored}
    assert {key[0] for key in got} == {*days, TEST_DAY}  # the test records are kept too
    regular = {k: v for k, v in got.items() if k[0] != TEST_DAY}
    differing = sorted(k for k in regular.keys() | truth.keys() if regular.get(k) != truth.get(k))
    assert not differing, [(k, regular.get(k), truth.get(k)) for k in differing[:5]]
    assert all(row.raw and "odds" in row.raw for row in stored)  # each item kept whole
    sales = load_sales_month(engine, JEJU, MONTH)
    races = {key[:2] for key in truth}
    assert {(s.race_date, s.race_no) for s in sales} == races
    assert len(sales) == 6 * len(races)  # every pool but trifecta
    assert all(s.amount > 0 and s.winners for s in sales)
    # The month's results (API4_3) once, then one call per market API (API30_1 one per pool);
    # no call per race day.
    assert calls == {"API4_3": 1, "API28_1": 1, "API29_1": 1, "API30_1": 2, "API179_1": 1}
    assert len(truth) > 10_000
    assert grid_sources(engine, JEJU, MONTH) == {
        api: sum(1 for r in stored if r.pool in pools) for api, pools in GRID_APIS.items()
    }
    meta = metadata_of(result, names.MARKET_MONTH_GRID_ASSETS["API30_1"])
    assert meta[names.GRID_SOURCE] == "API30_1" and meta[names.GRID_FALLBACK] == "none"


def test_every_integrity_check_shows_and_passes_on_the_simulator_s_month(
    june: tuple[Any, dict[str, int]],
) -> None:
    checks = checks_of(june[0])
    expected = {
        (names.MARKET_MONTH_GRID_ASSETS[api], check) for api in GRID_APIS for check in GRID_CHECKS
    } | {(names.MARKET_MONTH_SALES_ASSET, check) for check in SALES_CHECKS}
    assert set(checks) == expected
    assert all(checks.values()), [key for key, passed in checks.items() if not passed]
    meta = metadata_of(june[0], names.MARKET_MONTH_GRID_ASSETS["API28_1"])
    assert meta[names.RACES_CHECKED] > 0
    triples = metadata_of(june[0], names.MARKET_MONTH_GRID_ASSETS["API30_1"])
    assert triples[names.TEST_RECORD_DATES] == [f"{TEST_DAY}/{JEJU}"]


def test_a_missing_combination_or_a_price_off_api179_1_fails_its_check(
    june: tuple[Any, dict[str, int]],
) -> None:
    engine = store()
    pools = GRID_APIS["API29_1"]
    grid = load_grid_month(engine, JEJU, MONTH, pools)
    sales = load_sales_month(engine, JEJU, MONTH)
    results = month_results(engine, JEJU, MONTH)

    def failing(cells: list[GridRow]) -> set[str]:
        found = check_grid_month(cells, sales, results.starters, results.finish_orders, pools)
        return {check for check, failures in found.failures.items() if failures}

    assert failing(grid) == set()
    paid = next(s for s in sales if s.pool == "EXA")
    race = (paid.race_date, paid.race_no, "EXA")
    winner = next(
        i
        for i, r in enumerate(grid)
        if (r.race_date, r.race_no, r.pool, r.legs) == (*race, paid.winners[0].legs)
    )
    loser = next(
        i for i, r in enumerate(grid) if (r.race_date, r.race_no, r.pool) == race and i != winner
    )
    assert failing(grid[:loser] + grid[loser + 1 :]) == {"grid_size"}
    off = grid[winner]
    repriced = GridRow(off.race_date, off.meet, off.race_no, off.pool, off.legs, off.odds + 5)
    assert "dividend" in failing([*grid[:winner], repriced, *grid[winner + 1 :]])


def test_a_key_kra_will_not_serve_a_month_api_gets_those_days_per_day_and_loses_none(
    start_kra_simulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    server = start_kra_simulator(today=TODAY, unserved_apis={"API28_1"})  # code 12
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    monkeypatch.setenv("KRA_API_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("KRA_LIMITER_URL", f"sqlite:///{tmp_path / 'first_key.sqlite'}")
    singles = [market_month_grids[0]]
    result = run(JEJU, MONTH, singles)
    assert result.success
    days = [d for d, meet in server.world.race_days(f"{MONTH}01", f"{MONTH}31") if meet == JEJU]
    truth = {
        (day, cell.race_no, cell.pool, cell.legs): cell.odds
        for day in days
        for cell in server.world.pool_grid(JEJU, day)
        if cell.pool in GRID_APIS["API28_1"]
    }
    stored = load_grid_month(get_engine(), JEJU, MONTH)
    assert {(r.race_date, r.race_no, r.pool, r.legs): r.odds for r in stored} == truth
    assert grid_sources(get_engine(), JEJU, MONTH) == {"API160_1": len(truth)}
    meta = metadata_of(result, names.MARKET_MONTH_GRID_ASSETS["API28_1"])
    # One refused month call, then one call per race day.
    assert meta[names.CALLS_BY_API] == {"API28_1": 1, "API160_1": len(days)}
    assert "API28_1 refused for this key (code 12" in meta[names.GRID_FALLBACK]
    assert all(checks_of(result).values())

    # This key's next months skip the month route (its access book remembers the refusal);
    # another key, with its own book, tries the month route itself.
    for book, month_calls in (("first_key", {}), ("second_key", {"API28_1": 1})):
        settings = KraSettings(
            api_base_url=server.base_url,
            api_key=SIMULATOR_API_KEY,
            limiter_url=f"sqlite:///{tmp_path / f'{book}.sqlite'}",
        )
        with KraClient(settings) as client:
            later = fetch_grid_month(client, get_engine(), "API28_1", JEJU, "201604", days=[])
        assert dict(later.calls) == month_calls and later.fallback
