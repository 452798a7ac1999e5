"""Odds and dividends against the simulator over real HTTP, stored in a real race store."""

from typing import Any

import pytest
from dagster import AssetKey, instance_for_test, materialize

from kra_pipeline.contract import (
    DIVIDENDS_ASSET,
)
from kra_pipeline.defs.market import market_assets
from kra_pipeline.defs.market.sensor import market_requests
from kra_pipeline.defs.race_days import collected_race_day, raw_race_day
from kra_pipeline.defs.shared.names import CONFIRMED_ODDS_ASSET
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.kra.market.pools import POOL_CODES
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.market import load_pool_combinations, winning_combinations
from kra_simulator import SIMULATOR_API_KEY

SEOUL = 1
TODAY = "20250620"
FINISHED_DAY = "20250614"  # a Saturday, Seoul races
UPCOMING_DAY = "20250621"


def run(partition: str, raise_on_error: bool = True) -> Any:
    with instance_for_test() as instance:
        return materialize(
            [raw_race_day, collected_race_day, *market_assets],
            partition_key=partition,
            instance=instance,
            resources=default_resources(),
            raise_on_error=raise_on_error,
        )


@pytest.fixture
def simulator(start_kra_simulator, monkeypatch: pytest.MonkeyPatch):
    def start(**config: Any):
        server = start_kra_simulator(today=TODAY, **config)
        monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
        monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
        return server

    return start


def test_stored_grids_equal_the_simulators_and_pay_the_finishing_order(simulator):
    server = simulator()
    result = run(f"{FINISHED_DAY}|{SEOUL}")
    assert result.success
    truth = {(x.race_no, x.pool, x.legs): x.odds for x in server.world.pool_grid(1, FINISHED_DAY)}
    assert {pool for _, pool, _ in truth} == set(POOL_CODES)
    engine = get_engine()
    for api in ("API301", "API160_1"):
        stored = load_pool_combinations(engine, FINISHED_DAY, SEOUL, api)
        assert {x.key: x.odds for x in stored} == truth  # duplicates gone, legs normalised
        assert any(x.is_capped for x in stored)
    # Winners follow the simulator's finishing order and are priced from the grid.
    items = server.world.race_day_items(SEOUL, FINISHED_DAY)
    order: dict[int, list[int]] = {}
    for item in sorted(items, key=lambda i: (i["rcNo"], i["ord"])):
        if item["ord"]:
            order.setdefault(item["rcNo"], []).append(item["chulNo"])
    winners = winning_combinations(engine, FINISHED_DAY, SEOUL, "API301")
    by_pool = {(w.race_no, w.pool): w for w in winners if w.pool not in ("PLC", "QPL")}
    differing: list[bool] = []
    for race_no, gates in order.items():
        assert by_pool[(race_no, "WIN")].legs == (gates[0],)
        assert by_pool[(race_no, "EXA")].legs == (gates[0], gates[1])
        assert by_pool[(race_no, "TRI")].legs == tuple(gates[:3])
        assert by_pool[(race_no, "TLA")].legs == tuple(sorted(gates[:3]))
        win = next(i for i in items if i["rcNo"] == race_no and i["chulNo"] == gates[0])
        assert by_pool[(race_no, "WIN")].odds == win["winOdds"]
        # the ordered pool differs from its unordered twin
        exacta = by_pool[(race_no, "EXA")].odds
        assert exacta == truth[(race_no, "EXA", (gates[0], gates[1]))]
        assert (race_no, "EXA", (gates[1], gates[0])) in truth
        reverse = truth[(race_no, "EXA", (gates[1], gates[0]))]
        quinella = by_pool[(race_no, "QNL")]
        assert quinella.legs == tuple(sorted(gates[:2]))
        assert (race_no, "QNL", quinella.legs[::-1]) not in truth
        assert quinella.odds < min(exacta, reverse)  # either order pays the quinella
        differing.append(exacta != reverse)
    assert any(differing)
    exactas = sum(1 for _, pool, _ in truth if pool == "EXA")
    assert exactas == 2 * sum(1 for _, pool, _ in truth if pool == "QNL")
    assert all(w.odds is not None for w in winners)
    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks)


def test_the_sensor_asks_for_pools_once_results_are_stored(simulator):
    simulator()
    with instance_for_test() as instance:
        for day in (FINISHED_DAY, UPCOMING_DAY):
            materialize(
                [raw_race_day, collected_race_day],
                partition_key=f"{day}|{SEOUL}",
                instance=instance,
                resources=default_resources(),
            )
        requests = market_requests(instance, [FINISHED_DAY, UPCOMING_DAY])
        assert [r.partition_key for r in requests] == [f"{FINISHED_DAY}|{SEOUL}"]
        materialize(
            market_assets,
            partition_key=f"{FINISHED_DAY}|{SEOUL}",
            instance=instance,
            resources=default_resources(),
        )
        assert market_requests(instance, [FINISHED_DAY, UPCOMING_DAY]) == []


def test_an_unfinished_day_has_no_odds_and_spends_no_call(simulator):
    server = simulator()
    assert run(f"{UPCOMING_DAY}|{SEOUL}").success
    assert load_pool_combinations(get_engine(), UPCOMING_DAY, SEOUL, "API301") == []
    assert server.stats.as_dict()["calls"].get("API301", 0) == 0


def test_refused_apis_fail_only_their_own_assets(simulator):
    simulator(refused_apis={"API301", "API160_1"})
    result = run(f"{FINISHED_DAY}|{SEOUL}", raise_on_error=False)
    done = {e.asset_key for e in result.get_asset_materialization_events()}
    assert done == {AssetKey("raw_race_day"), AssetKey("collected_race_day")}
    failures = {
        e.step_key: str(e.event_specific_data.error.message)
        for e in result.all_events
        if e.is_step_failure
    }
    assert set(failures) == {DIVIDENDS_ASSET, CONFIRMED_ODDS_ASSET}
    for asset, api in ((DIVIDENDS_ASSET, "API301"), (CONFIRMED_ODDS_ASSET, "API160_1")):
        message = failures[asset]
        assert api in message and "data.go.kr/data/" in message and "Apply for" in message
