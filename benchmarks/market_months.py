"""The market by meet × month (API28_1, API29_1, API30_1, API179_1) from the simulator: calls
per API, wall time and the integrity checks over what came back.

    uv run python benchmarks/market_months.py --first 201603 --last 201608

Every meet of every month in the range goes through `fetch_market_month`; calls are counted by
the simulator. The integrity checks run against the world's starters and finishing orders,
test records taken out first. Targets: at most one call per meet-month per API (API30_1: per
pool) plus the extra pages, and no failure (the win pool's overround is reported apart: today's
simulator prices it before scratches).
"""

from __future__ import annotations

import argparse
import calendar
import logging
import os
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import structlog

from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.market.pool_integrity import check_all, find_test_records
from kra_pipeline.kra.market.pool_months import MARKET_APIS, fetch_market_month
from kra_simulator import SIMULATOR_API_KEY, SimulatedWorld, SimulatorConfig, SimulatorServer

MEETS = (1, 2, 3)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default="201603", help="first month, YYYYMM")
    parser.add_argument("--last", default="201608", help="last month, YYYYMM")
    parser.add_argument("--today", default="20250701", help="the simulator's today")
    return parser.parse_args()


def months(first: str, last: str) -> list[str]:
    year, month, found = int(first[:4]), int(first[4:]), []
    while f"{year}{month:02d}" <= last:
        found.append(f"{year}{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


Race = tuple[str, int, int]


def race_facts(
    world: SimulatedWorld, month: str
) -> tuple[Counter[Race], dict[Race, list[int]], set[Race], set[tuple[str, int]]]:
    """Starters, finishing orders, scratched races and days with results of a month."""
    starters: Counter[Race] = Counter()
    placed: dict[Race, list[tuple[int, int]]] = defaultdict(list)
    scratched: set[Race] = set()
    result_days: set[tuple[str, int]] = set()
    last = calendar.monthrange(int(month[:4]), int(month[4:]))[1]
    for race_date, meet in world.race_days(f"{month}01", f"{month}{last:02d}"):
        for item in world.race_day_items(meet, race_date):
            race = (race_date, meet, item["rcNo"])
            if item["winOdds"] == 0:
                scratched.add(race)
                continue
            starters[race] += 1
            if item["ord"]:
                placed[race].append((item["ord"], item["chulNo"]))
                result_days.add((race_date, meet))
    orders = {race: [gate for _, gate in sorted(rows)] for race, rows in placed.items()}
    return starters, orders, scratched, result_days


@dataclass
class Tally:
    """What the integrity checks found over the months a benchmark read."""

    races: int = 0
    cells: int = 0
    sales_rows: int = 0
    records: int = 0
    win_overround_on_scratch: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    def add_month(
        self,
        grid: list[Any],
        sales: list[Any],
        facts: tuple[Counter[Race], dict[Race, list[int]], set[Race], set[tuple[str, int]]],
    ) -> list[tuple[str, Any]]:
        """Check one month's grid and sales (test-record days flagged and left out); answers
        the failures counted, a WIN overround on a race with a scratch kept apart."""
        starters, orders, scratched, result_days = facts
        tests = find_test_records(grid, sales, result_days)
        test_days = {(t.race_date, t.meet) for t in tests}
        grid = [row for row in grid if (row.race_date, row.meet) not in test_days]
        counted = []
        for check, found in check_all(grid, sales, starters, orders).items():
            for failure in found:
                race = (failure.race_date, failure.meet, failure.race_no)
                if check == "overround" and failure.pool == "WIN" and race in scratched:
                    self.win_overround_on_scratch += 1
                else:
                    self.failures[check] += 1
                    counted.append((check, failure))
        self.races += len({(r.race_date, r.meet, r.race_no) for r in grid})
        self.cells += len(grid)
        self.sales_rows += len(sales)
        self.records += len(tests)
        return counted


def main() -> None:
    args = parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    span = months(args.first, args.last)
    tally = Tally()
    with (
        tempfile.TemporaryDirectory() as home,
        SimulatorServer(SimulatorConfig(today=args.today)) as server,
    ):
        os.environ["KRA_HOME"] = home
        settings = KraSettings(
            api_base_url=f"{server.base_url}/B551015",
            api_key=SIMULATOR_API_KEY,
            rate_limit_per_minute=100_000,
        )
        started = time.perf_counter()
        with KraClient(settings) as client:
            for month in span:
                fetched = [fetch_market_month(client, meet, month) for meet in MEETS]
                grid = [row for answer in fetched for row in answer.grid]
                sales = [row for answer in fetched for row in answer.sales]
                tally.add_month(grid, sales, race_facts(server.world, month))
        wall = time.perf_counter() - started
        calls = server.stats.calls
    meet_months = len(span) * len(MEETS)
    print(f"market {span[0]}..{span[-1]}: {meet_months} meet-months, wall {wall:.1f} s")
    for api in MARKET_APIS:
        per = calls[api] / meet_months
        print(f"  {api:9s} {calls[api]:5d} calls ({per:.2f} per meet-month)")
    print(f"  races checked {tally.races}, grid cells {tally.cells}, sales rows {tally.sales_rows}")
    print(f"  test records {tally.records}; failures {dict(tally.failures) or 0}")
    print(
        "  win-pool overround off on races with a scratch (simulator): "
        f"{tally.win_overround_on_scratch}"
    )


if __name__ == "__main__":
    main()
