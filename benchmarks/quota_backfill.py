"""A backfill of every meet over several months under the KRA quota (100 calls per minute).

    uv run python benchmarks/quota_backfill.py                      # 3 months, 100 per 60 s
    uv run python benchmarks/quota_backfill.py --window-seconds 6   # scaled: 100 per 6 s
    uv run python benchmarks/quota_backfill.py --processes 3        # 3 processes, one limiter

The simulator refuses calls over `--rate` per window (like the data.go.kr gateway) and counts
each refusal as a quota violation; the client gets the same budget (KRA_RATE_LIMIT_PER_MINUTE,
KRA_RATE_LIMIT_WINDOW_SECONDS). Partitions are materialized like a Dagster backfill, date by
date. With several processes each runs its share of partitions on its own ephemeral instance
(so the `kra_open_api` pool does not serialise them) and only the shared SQLite limiter under
KRA_HOME keeps them within the quota: the cross-process proof.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import harness
from dagster import DagsterInstance

from kra_simulator import SimulatorConfig
from kra_simulator.world import DEFAULT_SEED, seoul_today


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=3, help="how many months (default 3)")
    parser.add_argument(
        "--end-month", help="last YYYYMM of the backfill (default: the last full month)"
    )
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument("--rate", type=int, default=100, help="calls allowed per window")
    parser.add_argument(
        "--window-seconds",
        type=float,
        default=60.0,
        help="quota window; below 60 runs a scaled version (the same rate per shorter window)",
    )
    parser.add_argument("--processes", type=int, default=1, help="parallel worker processes")
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="in-memory Dagster instance instead of SQLite on the temp DAGSTER_HOME (faster)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator world seed")
    return parser.parse_args()


def backfill_months(end_month: str, count: int) -> list[str]:
    first = f"{end_month}15"
    return [harness.previous_month(first, back) for back in range(count - 1, -1, -1)]


def _run_share(partitions: Sequence[tuple[str, int]], ephemeral: bool) -> list[tuple]:
    """One worker: its partitions in order; plain tuples so results cross process borders."""
    harness.quiet_logs()
    instance = DagsterInstance.ephemeral() if ephemeral else DagsterInstance.get()
    with instance:
        return [
            (race_date, meet, *harness.materialize_race_day(instance, race_date, meet))
            for race_date, meet in partitions
        ]


def run_backfill(partitions: list[tuple[str, int]], processes: int, ephemeral: bool) -> list[tuple]:
    if processes <= 1:
        return _run_share(partitions, ephemeral)
    dates = sorted({race_date for race_date, _ in partitions})
    slot = {race_date: index % processes for index, race_date in enumerate(dates)}
    shares = [[p for p in partitions if slot[p[0]] == worker] for worker in range(processes)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        # Each worker gets its own ephemeral instance: the kra_open_api pool of one shared instance
        # would serialise their API steps and hide whether the limiter holds across processes.
        results = pool.map(_run_share, shares, [True] * processes)
        return [row for share in results for row in share]


def main() -> None:
    args = parse_args()
    harness.quiet_logs()
    end_month = args.end_month or harness.previous_month(args.today)
    months = backfill_months(end_month, args.months)
    partitions = harness.every_partition(months)
    scaled = args.window_seconds != 60.0
    config = SimulatorConfig(
        seed=args.seed,
        today=args.today,
        quota_per_window=args.rate,
        quota_window_seconds=args.window_seconds,
    )
    with (
        harness.isolated_homes(),
        harness.simulator(
            config,
            KRA_RATE_LIMIT_PER_MINUTE=str(args.rate),
            KRA_RATE_LIMIT_WINDOW_SECONDS=str(args.window_seconds),
        ) as server,
    ):
        started = time.perf_counter()
        rows = run_backfill(partitions, args.processes, args.ephemeral or args.processes > 1)
        wall = time.perf_counter() - started
        sim = server.stats.as_dict()
        original = sum(harness.original_design_calls(server.world, d, m) for d, m in partitions)

    calls = sim["total_calls"]
    answered = sum(sim["answered"].values())
    metadata_calls = sum(row[3] for row in rows)
    race_days = sum(1 for row in rows if row[4])
    per_minute = args.rate * 60.0 / args.window_seconds
    floor_minutes = max(calls - args.rate, 0) / args.rate * args.window_seconds / 60
    original_minutes = original / per_minute
    kind = (
        f"SCALED: {args.rate} calls per {args.window_seconds:g} s window (= {per_minute:.0f}/min)"
        if scaled
        else f"FULL: {args.rate} calls per 60 s window"
    )
    instance = "ephemeral per worker" if args.ephemeral or args.processes > 1 else "SQLite"
    print(f"## Quota backfill: {months[0]}..{months[-1]}, {args.processes} process(es)\n")
    print(
        harness.table(
            ["figure", "value"],
            [
                ["run", kind],
                ["partitions", f"{len(rows)} ({race_days} race days), all meets"],
                ["processes / Dagster instance", f"{args.processes} / {instance}"],
                ["wall time", f"{wall / 60:.1f} min ({wall:.0f} s)"],
                ["calls (simulator)", f"{calls} {dict(sorted(sim['calls'].items()))}"],
                ["calls (assets' api_calls)", f"{metadata_calls}"],
                ["retries (refused then repeated)", f"{calls - answered}"],
                ["quota violations (simulator)", f"{sim['quota_violations']} (target 0)"],
                ["busiest window", f"{sim['peak_window_requests']} of {args.rate} allowed"],
                ["quota floor for these calls", f"{floor_minutes:.1f} min"],
                [
                    "original design, same days",
                    f"{original} calls → {original_minutes:.0f} min "
                    f"({original_minutes / 60:.1f} h) at {per_minute:.0f}/min",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
