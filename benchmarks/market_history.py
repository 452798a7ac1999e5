"""The whole market history (2015 → today) by meet × month against the simulator: calls per
API, pages, wall time, and the integrity checks over every race.

    uv run python benchmarks/market_history.py --today 20261205

Every meet of every month goes through the month client (`month_queries`, all pages, the
row parsers), against a simulator in its own process that enforces KRA's daily quota of
3,000 calls per API (so a run past it fails with code 22, as KRA would answer). While one
meet-month is parsed and checked, the next one is fetched (one thread), so the simulator's
cost overlaps the client's on a second core. The integrity checks run against the world's
starters and finishing orders, test records taken out first (as benchmarks/market_months.py).

Targets printed: at most one call per meet-month per API (API30_1: per pool) plus the extra
pages, every API under 3,000 calls in the whole run, 0 failures.
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import structlog

sys.path.insert(0, str(Path(__file__).resolve().parent))

from market_months import Tally, months, race_facts

from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.market.grid_rows import GRID_APIS, GridRow, parse_grid_rows
from kra_pipeline.kra.market.pool_months import (
    MARKET_APIS,
    MONTH_PAGE_SIZE,
    fetch_month_items,
    month_queries,
)
from kra_pipeline.kra.market.pool_sales import SALES_API, parse_sales_rows
from kra_simulator import SIMULATOR_API_KEY, SimulatedWorld, SimulatorConfig
from kra_simulator.server import SimulatorServer

MEETS = (1, 2, 3)
QUOTA = 3000
SEED = 20250608


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default="201501", help="first month, YYYYMM")
    parser.add_argument("--last", default=None, help="last month, YYYYMM (default: --today's)")
    parser.add_argument("--today", default="20261205", help="the simulator's today, YYYYMMDD")
    parser.add_argument("--seed", type=int, default=SEED)
    return parser.parse_args()


def serve(seed: int, today: str, port_out: Any, stop: Any) -> None:
    """The simulator in its own process (its own interpreter lock), quota 3,000 per API."""
    config = SimulatorConfig(seed=seed, today=today, daily_quota=QUOTA)
    with SimulatorServer(config) as server:
        port_out.put(server.base_url)
        stop.wait()


Fetched = dict[str, list[dict[str, Any]]]


def fetch(client: KraClient, meet: int, month: str) -> Fetched:
    """Every market API's rows of one meet-month, all pages, as KRA sent them."""
    return {api: fetch_month_items(client, api, meet, month) for api in MARKET_APIS}


def pages_needed(meet: int, month: str, answer: Fetched) -> Counter[str]:
    """The pages each API's queries needed for the rows they answered: what a client that
    never asks twice spends."""
    needed: Counter[str] = Counter()
    for api in MARKET_APIS:
        for query in month_queries(api, meet, month):
            rows = [r for r in answer[api] if "pool" not in query or r.get("pool") == query["pool"]]
            needed[api] += max(1, math.ceil(len(rows) / MONTH_PAGE_SIZE))
    return needed


def main() -> None:
    args = parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    span = months(args.first, args.last or args.today[:6])
    jobs = [(meet, month) for month in span for meet in MEETS]
    world = SimulatedWorld(args.seed, args.today)
    tally = Tally()
    first_pages: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    facts: dict[str, Any] = {}
    spent: Counter[str] = Counter()
    context = multiprocessing.get_context("spawn")
    port_out, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(args.seed, args.today, port_out, stop))
    server.start()
    base_url = port_out.get(timeout=120)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as home:
            os.environ["KRA_HOME"] = home
            settings = KraSettings(
                api_base_url=f"{base_url}/B551015",
                api_key=SIMULATOR_API_KEY,
                rate_limit_per_minute=100_000,
                daily_quota=0,  # the simulator holds KRA's quota; this run must stay under it
            )
            with KraClient(settings) as client, ThreadPoolExecutor(1) as pool:
                ahead: Future[Fetched] = pool.submit(fetch, client, *jobs[0])
                for index, (meet, month) in enumerate(jobs):
                    tick = time.perf_counter()
                    answer = ahead.result()
                    spent["waiting for the simulator"] += time.perf_counter() - tick
                    tick = time.perf_counter()
                    if index + 1 < len(jobs):
                        ahead = pool.submit(fetch, client, *jobs[index + 1])
                    first_pages.update(
                        {api: len(month_queries(api, meet, month)) for api in MARKET_APIS}
                    )
                    pages.update(pages_needed(meet, month, answer))
                    grid: list[GridRow] = []
                    for api in GRID_APIS:
                        parsed = parse_grid_rows(api, answer[api])
                        grid.extend(r for r in parsed.combinations if isinstance(r, GridRow))
                    sales = parse_sales_rows(answer[SALES_API]).rows
                    spent["parsing rows"] += time.perf_counter() - tick
                    tick = time.perf_counter()
                    if month not in facts:
                        facts = {month: race_facts(world, month)}
                    starters, orders, scratched, result_days = facts[month]
                    spent["the world's results"] += time.perf_counter() - tick
                    tick = time.perf_counter()
                    starters = Counter({r: n for r, n in starters.items() if r[1] == meet})
                    result_days = {d for d in result_days if d[1] == meet}
                    already = sum(tally.failures.values())
                    found = tally.add_month(grid, sales, (starters, orders, scratched, result_days))
                    for check, failure in found[: max(0, 5 - already)]:
                        print(f"  failure {check}: {failure}", flush=True)
                    spent["integrity checks"] += time.perf_counter() - tick
                    if meet == MEETS[-1] and month.endswith("12"):
                        print(f"  .. {month}: {time.perf_counter() - started:.0f} s", flush=True)
        wall = time.perf_counter() - started
        calls = Counter(httpx.get(f"{base_url}/_simulator/stats").json()["calls"])
    finally:
        stop.set()
        server.join(timeout=30)
    meet_months = len(jobs)
    print(
        f"market history {span[0]}..{span[-1]} (simulator seed {args.seed}, today "
        f"{args.today}): {meet_months} meet-months, wall {wall:.1f} s"
    )
    for api in MARKET_APIS:
        extra = calls[api] - first_pages[api]
        print(
            f"  {api:9s} {calls[api]:5d} calls ({calls[api] / meet_months:.2f} per meet-month; "
            f"{first_pages[api]} first pages + {extra} extra pages)"
        )
    print("  time: " + ", ".join(f"{what} {seconds:.0f} s" for what, seconds in spent.items()))
    print(f"  races checked {tally.races}, grid cells {tally.cells}, sales rows {tally.sales_rows}")
    print(f"  test records {tally.records}; failures {dict(tally.failures) or 0}")
    print(
        "  win-pool overround off on races with a scratch (simulator): "
        f"{tally.win_overround_on_scratch}"
    )
    per_meet_month = all(
        first_pages[api] <= meet_months * (2 if api == "API30_1" else 1) for api in MARKET_APIS
    )
    no_repeat = all(calls[api] == pages[api] for api in MARKET_APIS)
    print(
        f"  <= 1 call per meet-month per API (API30_1: per pool) plus extra pages: "
        f"{per_meet_month and no_repeat} (calls equal the pages the rows need: {no_repeat})"
    )
    under = all(calls[api] < QUOTA for api in MARKET_APIS)
    print(f"  every API under {QUOTA} calls in the whole run: {under}")


if __name__ == "__main__":
    main()
