"""Fetch a month of race days for every meet from the offline simulator and print the cost.

    uv run python benchmarks/fetch_month.py --month 202506 --fault-rate 0.15

Prints API calls, retries, faults injected, the busiest rate window seen by the simulator and
wall time. The limiter state goes to a temporary KRA_HOME so real budgets are not touched.
"""

from __future__ import annotations

import argparse
import calendar
import logging
import os
import tempfile
import time

import structlog

from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_simulator.config import SIMULATOR_API_KEY, SimulatorConfig
from kra_simulator.server import SimulatorServer
from kra_simulator.traffic import FAULT_KINDS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="202506", help="YYYYMM to fetch (default 202506)")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of faulty answers")
    parser.add_argument(
        "--fault-kinds",
        default="server_error,truncated,slow,gateway_error",
        help=f"comma-separated, from {', '.join(FAULT_KINDS)}",
    )
    parser.add_argument("--slow-seconds", type=float, default=1.0, help="delay of a slow answer")
    parser.add_argument("--timeout", type=float, default=0.5, help="KRA_API_TIMEOUT_SECONDS")
    parser.add_argument("--rate", type=int, default=10_000, help="requests per window")
    parser.add_argument("--window", type=float, default=60.0, help="window in seconds")
    parser.add_argument("--max-attempts", type=int, default=8, help="KRA_API_MAX_ATTEMPTS")
    parser.add_argument("--page-size", type=int, default=1000, help="KRA_API_PAGE_SIZE")
    parser.add_argument("--verbose", action="store_true", help="log every request and retry")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    level = logging.DEBUG if args.verbose else logging.WARNING
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
    year, month = int(args.month[:4]), int(args.month[4:])
    last_day = calendar.monthrange(year, month)[1]
    first, last = f"{args.month}01", f"{args.month}{last_day:02d}"
    today = f"{year + (month == 12)}{month % 12 + 1:02d}01"  # the month is fully raced
    config = SimulatorConfig(
        today=today,
        fault_rate=args.fault_rate,
        fault_kinds=tuple(args.fault_kinds.split(",")),
        slow_seconds=args.slow_seconds,
        quota_per_window=args.rate,
        quota_window_seconds=args.window,
    )
    with tempfile.TemporaryDirectory() as home, SimulatorServer(config) as server:
        os.environ["KRA_HOME"] = home
        settings = KraSettings(
            api_base_url=f"{server.base_url}/B551015",
            api_key=SIMULATOR_API_KEY,
            api_timeout_seconds=args.timeout,
            api_max_attempts=args.max_attempts,
            api_page_size=args.page_size,
            api_backoff_seconds=0.05,
            rate_limit_per_minute=args.rate,
            rate_limit_window_seconds=args.window,
        )
        days = server.world.race_days(first, last)
        started = time.perf_counter()
        entrants = 0
        with KraClient(settings) as kra:
            for race_date, meet in days:
                entrants += len(kra.fetch_race_day(meet, race_date).items)
        wall = time.perf_counter() - started
        sim = server.stats.as_dict()
    print(f"race days fetched     {len(days)} ({first}..{last}, all meets)")
    print(f"entrants              {entrants}")
    print(f"client calls          {kra.stats.total_calls} {dict(kra.stats.calls)}")
    print(f"client retries        {kra.stats.total_retries}")
    print(f"faults injected       {sum(sim['faults'].values())} {sim['faults']}")
    print(f"quota violations      {sim['quota_violations']}")
    print(f"busiest window        {sim['peak_window_requests']} of {args.rate} allowed")
    print(f"wall time             {wall:.2f} s ({wall / max(len(days), 1) * 1000:.0f} ms/day)")


if __name__ == "__main__":
    main()
