"""Pari-mutuel integrity of a market archive: what a consistent grid and sales record must obey.

Each check takes typed rows (grid cells, pool sales, the race's starters or finishing order)
and returns the failures with the race, the pool and the reason; an empty list means it holds.
A gap in an archive (a lost page, a race cut short, a price from another day) breaks at least
one of them, even when every row on its own looks fine.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kra_pipeline.kra.market.pool_sales import PoolSales
from kra_pipeline.kra.market.pools import CAPPED_ODDS, PoolCombination, winning_legs

RaceKey = tuple[str, int, int]  # (race date, meet, race number)
DayKey = tuple[str, int]  # (race date, meet)

# Share of each pool paid back to winners (the rest is KRA's take): 80% win and place, 73% the
# exotic pools (JOO's ticket identity for WIN and TRI; the 2009 TLA launch reports for the rest).
PAYOUT_SHARE: dict[str, float] = {
    "WIN": 0.80,
    "PLC": 0.80,
    "QNL": 0.73,
    "EXA": 0.73,
    "QPL": 0.73,
    "TLA": 0.73,
    "TRI": 0.73,
}
TICKET_WON = 100
DIVIDEND_STEP = 0.1  # KRA rounds dividends and odds to one decimal
# Σ 1/odds of a pool may stray this far (relative) from paid combinations / payout share: the
# rounding of each price to 0.1 and the 1.0 floor move it a few percent.
OVERROUND_TOLERANCE = 0.12
# Place and quinella place split the pool among several combinations by a rule not verified
# against live data: neither their tickets nor their overround are checked.
SPLIT_POOLS = frozenset({"PLC", "QPL"})


@dataclass(frozen=True)
class Failure:
    """One broken rule: which check, where, and why."""

    check: str
    race_date: str
    meet: int
    race_no: int | None
    pool: str | None
    reason: str


@dataclass(frozen=True)
class TestRecord:
    """A day of grids that KRA never raced: kept apart, never counted as a race day."""

    race_date: str
    meet: int
    races: int
    cells: int
    reason: str


def expected_cells(pool: str, starters: int) -> int:
    """Rows of a full grid over n starters: n, n, C(n,2), n(n-1), C(n,2), C(n,3), n(n-1)(n-2)."""
    n = starters
    return {
        "WIN": n,
        "PLC": n,
        "QNL": math.comb(n, 2),
        "EXA": math.perm(n, 2),
        "QPL": math.comb(n, 2),
        "TLA": math.comb(n, 3),
        "TRI": math.perm(n, 3),
    }[pool]


def by_race_pool(
    grid: Iterable[PoolCombination],
) -> dict[tuple[RaceKey, str], dict[tuple[int, ...], float]]:
    """The grid as {(race, pool): {legs: odds}}."""
    cells: dict[tuple[RaceKey, str], dict[tuple[int, ...], float]] = defaultdict(dict)
    for row in grid:
        cells[((row.race_date, row.meet, row.race_no), row.pool)][row.legs] = row.odds
    return cells


def _failure(check: str, race: RaceKey, pool: str | None, reason: str) -> Failure:
    return Failure(check, race[0], race[1], race[2], pool, reason)


def check_grid_sizes(
    grid: Iterable[PoolCombination], starters: Mapping[RaceKey, int]
) -> list[Failure]:
    """Each pool of a race has one row per combination of its starters, and a race has every
    pool the other races of its day have. A day without any grid is not reported here: which
    days must have one depends on the pools KRA sold then (docs/MARKET_SOURCES.md)."""
    cells = by_race_pool(grid)
    failures = []
    day_pools: dict[DayKey, set[str]] = defaultdict(set)
    race_pools: dict[RaceKey, set[str]] = defaultdict(set)
    for race, pool in cells:
        day_pools[race[:2]].add(pool)
        race_pools[race].add(pool)
    for (race, pool), legs in sorted(cells.items()):
        n = starters.get(race)
        if n is None:
            failures.append(_failure("grid_size", race, pool, "a grid for a race with no result"))
        elif len(legs) != expected_cells(pool, n):
            failures.append(
                _failure(
                    "grid_size",
                    race,
                    pool,
                    f"{len(legs)} rows, {expected_cells(pool, n)} expected for {n} starters",
                )
            )
    for race in sorted(set(starters) | set(race_pools)):
        for pool in sorted(day_pools[race[:2]] - race_pools[race]):
            failures.append(_failure("grid_size", race, pool, "no rows, other races have them"))
    return failures


def check_winning_combinations(
    grid: Iterable[PoolCombination],
    finish_orders: Mapping[RaceKey, Sequence[int]],
    sales: Iterable[PoolSales] = (),
) -> list[Failure]:
    """The combinations the finishing order pays are in the grid, and API179_1 pays those."""
    cells = by_race_pool(grid)
    paid = {(row.key[:3], row.pool): {w.legs for w in row.winners} for row in sales}
    failures = []
    for (race, pool), legs in sorted(cells.items()):
        order = finish_orders.get(race)
        if not order:
            continue
        expected = set(winning_legs(pool, list(order)))
        for combination in sorted(expected - set(legs)):
            failures.append(
                _failure("winner", race, pool, f"winning {combination} is not in the grid")
            )
        said = paid.get((race, pool))
        if said is not None and said and said != expected:
            failures.append(
                _failure(
                    "winner",
                    race,
                    pool,
                    f"API179_1 pays {sorted(said)}, the finishing order {sorted(expected)}",
                )
            )
    return failures


def check_dividends(grid: Iterable[PoolCombination], sales: Iterable[PoolSales]) -> list[Failure]:
    """API179_1's dividend of each paid combination equals the grid's price for it (a capped
    cell, 9999.9, only says the dividend is at least that)."""
    cells = by_race_pool(grid)
    failures = []
    for row in sales:
        race = row.key[:3]
        prices = cells.get((race, row.pool))
        if prices is None:
            if row.winners:
                failures.append(_failure("dividend", race, row.pool, "paid, but no grid"))
            continue
        for winner in row.winners:
            price = prices.get(winner.legs)
            if price is None:
                reason = f"paid {winner.legs} is not in the grid"
            elif price >= CAPPED_ODDS:
                ok = winner.dividend >= CAPPED_ODDS
                reason = "" if ok else f"grid capped, dividend {winner.dividend} below the cap"
            elif abs(price - winner.dividend) > DIVIDEND_STEP / 2:
                reason = f"grid {price} for {winner.legs}, API179_1 pays {winner.dividend}"
            else:
                reason = ""
            if reason:
                failures.append(_failure("dividend", race, row.pool, reason))
    return failures


# The lowest price KRA pays: the stake back, however heavily a runner is backed.
FLOOR_ODDS = 1.0


def overround(prices: Iterable[float]) -> tuple[float, int]:
    """Σ 1/odds over the priced cells, and how many cells were capped (left out)."""
    total, capped = 0.0, 0
    for odds in prices:
        if odds >= CAPPED_ODDS:
            capped += 1
        elif odds > 0:
            total += 1 / odds
    return total, capped


def check_overround(grid: Iterable[PoolCombination]) -> list[Failure]:
    """Σ 1/odds of a single-winner pool ≈ 1 / payout share: its prices come from one pot.
    Capped cells are left out of the sum and may add up to 1/9999.9 each. A cell at the 1.0
    floor says only that its backers could not be paid more than their stake back (its 1/odds
    would be above 1 without the floor), so such a pool is held to the upper bound only."""
    failures = []
    for (race, pool), legs in sorted(by_race_pool(grid).items()):
        if pool in SPLIT_POOLS:
            continue
        expected = 1 / PAYOUT_SHARE[pool]
        total, capped = overround(legs.values())
        low, high = expected * (1 - OVERROUND_TOLERANCE), expected * (1 + OVERROUND_TOLERANCE)
        floored = any(0 < odds <= FLOOR_ODDS for odds in legs.values())
        if total > high or (not floored and total + capped / CAPPED_ODDS < low):
            failures.append(
                _failure(
                    "overround",
                    race,
                    pool,
                    f"Σ1/odds {total:.3f} ({capped} capped), {expected:.3f} expected for "
                    f"a {PAYOUT_SHARE[pool]:.0%} payout",
                )
            )
    return failures


def implied_tickets(row: PoolSales) -> float | None:
    """Winning 100-won tickets implied by the turnover and the one dividend, or None where the
    identity does not apply (several paid combinations, no winner, a refund below 1)."""
    if row.pool in SPLIT_POOLS or len(row.winners) != 1 or row.winners[0].dividend < 1:
        return None
    return PAYOUT_SHARE[row.pool] * row.amount / (TICKET_WON * row.winners[0].dividend)


def check_whole_tickets(sales: Iterable[PoolSales]) -> list[Failure]:
    """payout share × turnover / (100 × dividend) is a whole number of tickets, to within what
    rounding the dividend to 0.1 allows (checked only where that leaves under half a ticket)."""
    failures = []
    for row in sales:
        tickets = implied_tickets(row)
        if tickets is None:
            continue
        dividend = row.winners[0].dividend
        whole = max(1, round(tickets))
        slack = (DIVIDEND_STEP / 2 * whole + 0.5) / dividend
        if slack < 0.5 and abs(tickets - whole) > slack:
            failures.append(
                _failure(
                    "tickets",
                    row.key[:3],
                    row.pool,
                    f"{row.amount} won at {dividend} implies {tickets:.3f} tickets",
                )
            )
    return failures


def find_test_records(
    grid: Iterable[PoolCombination], sales: Iterable[PoolSales], result_days: set[DayKey]
) -> list[TestRecord]:
    """Days with grids but no sales and no results: KRA's test data, never a race day."""
    races: dict[DayKey, set[int]] = defaultdict(set)
    cells: dict[DayKey, int] = defaultdict(int)
    for row in grid:
        races[(row.race_date, row.meet)].add(row.race_no)
        cells[(row.race_date, row.meet)] += 1
    sold = {row.key[:2] for row in sales}
    return [
        TestRecord(
            day[0],
            day[1],
            len(races[day]),
            cells[day],
            f"{cells[day]} grid rows over {len(races[day])} race(s), no sales and no results",
        )
        for day in sorted(races)
        if day not in sold and day not in result_days
    ]


def check_all(
    grid: Sequence[PoolCombination],
    sales: Sequence[PoolSales],
    starters: Mapping[RaceKey, int],
    finish_orders: Mapping[RaceKey, Sequence[int]],
) -> dict[str, list[Failure]]:
    """Every check over one stretch of race days (test records taken out first), by check."""
    return {
        "grid_size": check_grid_sizes(grid, starters),
        "winner": check_winning_combinations(grid, finish_orders, sales),
        "dividend": check_dividends(grid, sales),
        "overround": check_overround(grid),
        "tickets": check_whole_tickets(sales),
    }
