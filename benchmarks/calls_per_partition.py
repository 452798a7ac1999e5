"""KRA calls per race-day partition when the real assets are materialized against the simulator.

    uv run python benchmarks/calls_per_partition.py [--today YYYYMMDD] [--months 202610 202410]

For each month, a fresh race store (cold reference cache) backfills every date × meet, race
days and empty days, in date order as a Dagster backfill would. Calls are counted by the
simulator (ground truth) and cross-checked with the assets' `api_calls` metadata, beside what
the original design would have spent on the same days (one call per race, three per entrant).
Targets: at most 2 calls per partition on average, at most 10 on a cold race day.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

import harness
from dagster import DagsterInstance

from kra_simulator import SimulatorConfig
from kra_simulator.world import DEFAULT_SEED, seoul_today

AVERAGE_TARGET = 2.0
COLD_TARGET = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument(
        "--months",
        nargs="*",
        help="YYYYMM months to backfill (default: the last full month and the same month "
        "two years earlier)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator world seed")
    return parser.parse_args()


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def backfill_month(month: str, today: str, seed: int) -> str:
    """Backfill one month in fresh state; a markdown report of its calls."""
    config = SimulatorConfig(seed=seed, today=today)
    partitions = harness.every_partition([month])
    with (
        harness.isolated_homes(),
        harness.simulator(config) as server,
        DagsterInstance.ephemeral() as instance,
    ):
        started = time.perf_counter()
        runs = harness.run_partitions(instance, server, partitions)
        wall = time.perf_counter() - started
        by_endpoint = server.stats.calls
        original = sum(harness.original_design_calls(server.world, d, m) for d, m in partitions)

    race_days = [run for run in runs if run.entrants]
    rows = []
    cold_ok = True
    for meet in harness.MEETS:
        days = [run for run in race_days if run.meet == meet]
        if not days:
            continue
        cold = days[0]
        warm = days[1] if len(days) > 1 else None
        cold_ok &= cold.simulator_calls <= COLD_TARGET
        rows.append(
            [
                meet,
                f"{cold.race_date} ({cold.entrants} entrants)",
                cold.simulator_calls,
                f"{warm.race_date}" if warm else "-",
                warm.simulator_calls if warm else "-",
                len(days),
                sum(run.simulator_calls for run in days),
            ]
        )
    total = sum(run.simulator_calls for run in runs)
    metadata_total = sum(run.metadata_calls for run in runs)
    average = total / len(runs)
    empty = len(runs) - len(race_days)
    lines = [
        f"### Month {month} (simulator today {today}, seed {seed})",
        "",
        harness.table(
            [
                "meet",
                "cold: first race day",
                "calls",
                "warm: next race day",
                "calls",
                "race days",
                "calls, all race days",
            ],
            rows,
        ),
        "",
        harness.table(
            ["figure", "value"],
            [
                [
                    "partitions (date × meet)",
                    f"{len(runs)} ({len(race_days)} race days, {empty} empty)",
                ],
                ["calls, simulator count", f"{total} {dict(sorted(by_endpoint.items()))}"],
                [
                    "calls, assets' api_calls metadata",
                    f"{metadata_total} ({'agrees' if metadata_total == total else 'DISAGREES'})",
                ],
                [
                    "average per partition",
                    f"{average:.2f} (target ≤ {AVERAGE_TARGET:g}: "
                    f"{_verdict(average <= AVERAGE_TARGET)})",
                ],
                ["average per race day", f"{_per_day(race_days):.2f}"],
                [
                    "cold race day, worst meet",
                    f"{max(r[2] for r in rows)} (target ≤ {COLD_TARGET}: {_verdict(cold_ok)})",
                ],
                [
                    "original design, same days",
                    f"{original} calls "
                    f"({original / len(runs):.1f} per partition, "
                    f"{original / max(len(race_days), 1):.0f} per race day)",
                ],
                ["saving", f"{original / max(total, 1):.0f}× fewer calls"],
                ["registry calls (listings and per-id look-ups)", _lookups(by_endpoint)],
                [
                    "wall time",
                    f"{wall:.0f} s ({wall / len(runs):.2f} s per partition, "
                    "ephemeral Dagster instance)",
                ],
            ],
        ),
    ]
    return "\n".join(lines)


def _per_day(race_days: Sequence[harness.PartitionRun]) -> float:
    return sum(r.simulator_calls for r in race_days) / max(len(race_days), 1)


def _lookups(by_endpoint: Counter[str]) -> str:
    details = {api: by_endpoint.get(api, 0) for api in ("API8_2", "API12_1", "API19_1")}
    return ", ".join(f"{api} {count}" for api, count in details.items())


def main() -> None:
    args = parse_args()
    harness.quiet_logs()
    months = args.months or [
        harness.previous_month(args.today),
        harness.previous_month(args.today, back=25),
    ]
    print("## Calls per race-day partition\n")
    for month in months:
        print(backfill_month(month, args.today, args.seed))
        print()


if __name__ == "__main__":
    main()
