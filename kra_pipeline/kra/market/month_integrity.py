"""The integrity checks over one meet-month of one grid API (or of its sales), test records first
taken out: what the month assets report as asset checks in the UI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kra_pipeline.kra.market.pool_integrity import (
    DayKey,
    Failure,
    RaceKey,
    TestRecord,
    check_dividends,
    check_grid_sizes,
    check_overround,
    check_whole_tickets,
    check_winning_combinations,
    find_test_records,
)
from kra_pipeline.kra.market.pool_sales import PoolSales
from kra_pipeline.kra.market.pools import PoolCombination

# Check name → what it means, as the UI shows it.
GRID_CHECKS: dict[str, str] = {
    "grid_size": "each race and pool has one row per combination of its starters "
    "(n, n, C(n,2), n(n-1), C(n,2), C(n,3), n(n-1)(n-2))",
    "winner": "the winning combinations of the finishing order are in the grid, and API179_1 "
    "pays those",
    "dividend": "API179_1's dividend of each paid combination equals the grid's price",
    "overround": "each single-winner pool's Σ1/odds is consistent with its takeout",
}
SALES_CHECKS: dict[str, str] = {
    "tickets": "payout share × turnover / (100 × dividend) is a whole number of tickets",
}


@dataclass
class MonthIntegrity:
    """Failures by check, the races checked, and the test-record days taken out."""

    failures: dict[str, list[Failure]] = field(default_factory=dict)
    races_checked: int = 0
    test_records: list[TestRecord] = field(default_factory=list)


def check_grid_month(
    grid: Sequence[PoolCombination],
    sales: Sequence[PoolSales],
    starters: Mapping[RaceKey, int],
    finish_orders: Mapping[RaceKey, Sequence[int]],
    pools: Sequence[str],
    results_known: bool = True,
) -> MonthIntegrity:
    """Every grid check over the month's rows of `pools`. A day of grids with no sales and no
    results is a test record: flagged and left out (found only when results are known)."""
    sales = [row for row in sales if row.pool in pools]
    result_days: set[DayKey] = {race[:2] for race in finish_orders}
    records = find_test_records(grid, sales, result_days) if results_known else []
    tests = {(r.race_date, r.meet) for r in records}
    grid = [row for row in grid if (row.race_date, row.meet) not in tests]
    races = {(row.race_date, row.meet, row.race_no) for row in grid}
    # Races of days the grid covers: a race of a day without any grid is not this check's to
    # report (the dividend check names a sold pool without grid).
    days = {race[:2] for race in races}
    starters = {race: n for race, n in starters.items() if race[:2] in days}
    return MonthIntegrity(
        failures={
            "grid_size": check_grid_sizes(grid, starters),
            "winner": check_winning_combinations(grid, finish_orders, sales),
            "dividend": check_dividends(grid, sales),
            "overround": check_overround(grid),
        },
        races_checked=len(races),
        test_records=records,
    )


def check_sales_month(sales: Sequence[PoolSales]) -> MonthIntegrity:
    """The sales checks over a month of API179_1 rows."""
    return MonthIntegrity(
        failures={"tickets": check_whole_tickets(sales)},
        races_checked=len({row.key[:3] for row in sales}),
    )


def describe(failure: Failure) -> str:
    """One failure in a line: where, which pool, why."""
    race = f"R{failure.race_no}" if failure.race_no is not None else "day"
    return f"{failure.race_date}/{failure.meet} {race} {failure.pool or ''}: {failure.reason}"
