"""Each integrity check holds on the simulator's market data and fails on a corrupted copy."""

from __future__ import annotations

import dataclasses

import pytest

from kra_pipeline.kra.market.grid_rows import GridRow, parse_grid_rows
from kra_pipeline.kra.market.pool_integrity import (
    PAYOUT_SHARE,
    check_all,
    check_dividends,
    check_grid_sizes,
    check_overround,
    check_whole_tickets,
    check_winning_combinations,
    find_test_records,
)
from kra_pipeline.kra.market.pool_sales import Dividend, PoolSales, parse_sales_rows
from kra_pipeline.kra.market.pools import CAPPED_ODDS
from kra_simulator import SimulatedWorld
from kra_simulator.endpoints import ENDPOINTS
from tests.kra.race_facts import RaceFacts, race_facts

DAY, SEOUL = "20250614", 1


@dataclasses.dataclass
class Day:
    grid: list[GridRow]
    sales: list[PoolSales]
    facts: RaceFacts


@pytest.fixture(scope="module")
def day() -> Day:
    """One Seoul day as the simulator serves it, typed by the client's parsers."""
    world = SimulatedWorld(today="20250701")
    params = {"meet": str(SEOUL), "rc_date": DAY}
    grid: list[GridRow] = []
    for api in ("API28_1", "API29_1", "API30_1"):
        rows = parse_grid_rows(api, ENDPOINTS[api].select(world, params)).combinations
        grid.extend(row for row in rows if isinstance(row, GridRow))
    sales = parse_sales_rows(ENDPOINTS["API179_1"].select(world, params)).rows
    return Day(grid, sales, race_facts(world, [(DAY, SEOUL)]))


def sale(day: Day, race_no: int, pool: str) -> PoolSales:
    return next(row for row in day.sales if row.race_no == race_no and row.pool == pool)


def without(grid: list[GridRow], race_no: int, pool: str, legs: tuple[int, ...]) -> list[GridRow]:
    return [r for r in grid if (r.race_no, r.pool, r.legs) != (race_no, pool, legs)]


def repriced(grid: list[GridRow], race_no: int, pool: str, price) -> list[GridRow]:
    """The grid with one race's pool repriced by `price(odds, legs)`."""
    return [
        dataclasses.replace(r, odds=price(r.odds, r.legs))
        if (r.race_no, r.pool) == (race_no, pool)
        else r
        for r in grid
    ]


def test_every_check_holds_on_the_simulated_day(day: Day) -> None:
    failures = check_all(day.grid, day.sales, day.facts.starters, day.facts.finish_orders)
    strays = [
        f
        for f in failures.pop("overround")
        if (f.race_date, f.meet, f.race_no) not in day.facts.scratched_races
    ]
    assert strays == [] and all(found == [] for found in failures.values())


def test_a_missing_combination_breaks_the_grid_size(day: Day) -> None:
    winner = sale(day, 1, "TRI").winners[0].legs
    loser = next(
        r.legs for r in day.grid if r.race_no == 1 and r.pool == "TRI" and r.legs != winner
    )
    failures = check_grid_sizes(without(day.grid, 1, "TRI", loser), day.facts.starters)
    n = day.facts.starters[(DAY, SEOUL, 1)]
    assert [(f.race_no, f.pool) for f in failures] == [(1, "TRI")]
    assert (
        f"{n * (n - 1) * (n - 2) - 1} rows, {n * (n - 1) * (n - 2)} expected" in failures[0].reason
    )


def test_a_race_without_a_pool_the_day_has_is_reported(day: Day) -> None:
    grid = [r for r in day.grid if (r.race_no, r.pool) != (2, "QPL")]
    failures = check_grid_sizes(grid, day.facts.starters)
    assert [(f.race_no, f.pool, f.reason) for f in failures] == [
        (2, "QPL", "no rows, other races have them")
    ]


def test_a_missing_winning_combination_breaks_three_checks(day: Day) -> None:
    winner = sale(day, 1, "EXA").winners[0].legs
    grid = without(day.grid, 1, "EXA", winner)
    assert check_winning_combinations(grid, day.facts.finish_orders)[0].reason == (
        f"winning {winner} is not in the grid"
    )
    assert check_dividends(grid, day.sales)[0].reason == f"paid {winner} is not in the grid"
    assert check_grid_sizes(grid, day.facts.starters)


def test_a_price_that_disagrees_with_the_dividend_is_found(day: Day) -> None:
    paid = sale(day, 3, "QNL").winners[0]
    grid = repriced(day.grid, 3, "QNL", lambda odds, legs: odds + 1 if legs == paid.legs else odds)
    failures = check_dividends(grid, day.sales)
    assert [(f.race_no, f.pool) for f in failures] == [(3, "QNL")]
    assert f"API179_1 pays {paid.dividend}" in failures[0].reason


def test_a_capped_cell_only_says_the_dividend_is_at_least_the_cap(day: Day) -> None:
    paid = sale(day, 1, "TRI").winners[0]
    grid = repriced(day.grid, 1, "TRI", lambda o, legs: CAPPED_ODDS if legs == paid.legs else o)
    assert paid.dividend < CAPPED_ODDS
    assert "below the cap" in check_dividends(grid, day.sales)[0].reason
    rich = dataclasses.replace(
        sale(day, 1, "TRI"), winners=(Dividend(paid.legs, CAPPED_ODDS + 5000),)
    )
    others = [row for row in day.sales if row.key != rich.key]
    assert check_dividends(grid, [*others, rich]) == []


def test_a_result_the_dividends_do_not_pay_is_found(day: Day) -> None:
    race = (DAY, SEOUL, 4)
    order = list(day.facts.finish_orders[race])
    swapped = {**day.facts.finish_orders, race: [order[1], order[0], *order[2:]]}
    failures = check_winning_combinations(day.grid, swapped, day.sales)
    assert {f.pool for f in failures} == {"WIN", "PLC", "EXA", "TRI"} - (
        {"PLC"} if len(order) > 7 else set()
    )
    assert all(f.race_no == 4 and "API179_1 pays" in f.reason for f in failures)


@pytest.mark.parametrize("factor", [1.5, 0.7])
def test_prices_not_from_one_pot_break_the_overround(day: Day, factor: float) -> None:
    grid = repriced(day.grid, 2, "QNL", lambda odds, legs: round(odds * factor, 1))
    failures = [f for f in check_overround(grid) if (f.race_no, f.pool) == (2, "QNL")]
    assert len(failures) == 1 and "73% payout" in failures[0].reason


def test_a_price_at_the_floor_holds_the_win_pool_to_its_upper_bound_only(day: Day) -> None:
    """A runner backed past what the pot can pay is priced 1.0: the pool's Σ1/odds then falls
    short of the take's, which is no defect; too high a sum still is."""
    race = 2
    favourite = min(
        (r for r in day.grid if (r.race_no, r.pool) == (race, "WIN")), key=lambda r: r.odds
    )
    floored = repriced(
        day.grid, race, "WIN", lambda odds, legs: 1.0 if legs == favourite.legs else odds * 20
    )
    unfloored = repriced(
        day.grid, race, "WIN", lambda odds, legs: 1.1 if legs == favourite.legs else odds * 20
    )
    too_high = repriced(
        day.grid, race, "WIN", lambda odds, legs: 1.0 if legs == favourite.legs else odds * 0.5
    )

    def failing(grid: list[GridRow]) -> list[tuple[int, str]]:
        return [(f.race_no, f.pool) for f in check_overround(grid) if f.race_no == race]

    assert failing(floored) == []
    assert failing(unfloored) == [(race, "WIN")]
    assert failing(too_high) == [(race, "WIN")]


def test_a_turnover_that_leaves_half_a_ticket_is_found(day: Day) -> None:
    row = max((r for r in day.sales if r.pool == "TRI"), key=lambda r: r.winners[0].dividend)
    dividend = row.winners[0].dividend
    half_ticket = round(50 * dividend / PAYOUT_SHARE["TRI"] / 100) * 100
    broken = dataclasses.replace(row, amount=row.amount + half_ticket)
    assert check_whole_tickets([row]) == []
    failures = check_whole_tickets([broken])
    assert [(f.race_no, f.pool) for f in failures] == [(row.race_no, "TRI")]


def test_a_day_of_grids_without_sales_or_results_is_a_test_record(day: Day) -> None:
    test_day = [dataclasses.replace(r, race_date="20250610") for r in day.grid if r.race_no <= 2]
    records = find_test_records(day.grid + test_day, day.sales, day.facts.result_days)
    assert [(r.race_date, r.meet, r.races, r.cells) for r in records] == [
        ("20250610", SEOUL, 2, len(test_day))
    ]
    # A race day whose sales are missing still has its results: a gap, not a test record.
    assert find_test_records(day.grid, [], day.facts.result_days) == []
