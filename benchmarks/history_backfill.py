"""A history backfill through the real stack: webserver, daemon, run queue, simulator, no quota.

    uv run python benchmarks/history_backfill.py [--years 1] [--days N] [--store-url URL]

Launches one partition backfill of the three race-day assets over every date x meet from
`--years` years (or `--days` days) before the simulator's today up to yesterday, exactly as
`POST /api/v2/collection/backfill` does (GraphQL launchPartitionBackfill), waits for the daemon
to finish it, and prints partitions, runs, wall time, partitions per minute, KRA calls per
partition and per API, peak memory of the services, and the ratio of the wall time to the time
the calls need at 100 per minute. Race store: SQLite under a temp KRA_HOME, or --store-url
(e.g. postgresql://postgres@127.0.0.1:5432/kra_bench, created empty beforehand).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import warnings

import harness
import services
from dagster import DagsterInstance, RunsFilter

from kra_api.gateway.launches import GraphQLLaunches
from kra_pipeline import contract as c
from kra_simulator import SimulatorConfig
from kra_simulator.world import DEFAULT_SEED, seoul_today

PER_MINUTE_TARGET = 300
PER_PARTITION_TARGET = 0.1
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


class Launcher(GraphQLLaunches):
    def __init__(self, webserver_url: str, instance: DagsterInstance) -> None:
        self.webserver_url = webserver_url
        self.instance = instance


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=1, help="years back from today")
    parser.add_argument("--days", type=int, default=None, help="days back (overrides --years)")
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--store-url", default=None, help="race store URL (default SQLite)")
    parser.add_argument("--timeout-minutes", type=float, default=180.0)
    return parser.parse_args()


def partition_keys(today: str, years: int, days: int | None) -> list[str]:
    end = dt.datetime.strptime(today, c.DATE_FORMAT).date() - dt.timedelta(days=1)
    first = max(
        end - dt.timedelta(days=days - 1) if days else end.replace(year=end.year - years),
        dt.datetime.strptime(c.FIRST_RACE_DATE, c.DATE_FORMAT).date(),
    )
    out, day = [], first
    while day <= end:
        out.extend(f"{day:%Y%m%d}|{meet}" for meet in c.MEET_CODES)
        day += dt.timedelta(days=1)
    return out


def main() -> None:
    args = parse_args()
    harness.quiet_logs()
    warnings.filterwarnings("ignore", "Non-compliant tag keys", DeprecationWarning)
    keys = partition_keys(args.today, args.years, args.days)
    config = SimulatorConfig(seed=args.seed, today=args.today)
    with (
        harness.isolated_homes(),
        harness.environment(KRA_DATABASE_URL=args.store_url),
        harness.simulator(config) as server,
        services.dagster_services() as port,
        DagsterInstance.get() as instance,
    ):
        launcher = Launcher(f"http://127.0.0.1:{port}", instance)
        started = time.perf_counter()
        backfill_id = launcher.launch_backfill(keys, {c.JOB_TYPE_TAG: "backfill"})
        deadline = time.monotonic() + args.timeout_minutes * 60
        while True:
            backfill = instance.get_backfill(backfill_id)
            status = backfill.status.value if backfill else "MISSING"
            if status in FINISHED:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"backfill {backfill_id} not done after {args.timeout_minutes}")
            time.sleep(2)
        runs = instance.get_runs(RunsFilter(tags={c.BACKFILL_TAG: backfill_id}))
        while any(not run.is_finished for run in runs):
            time.sleep(1)
            runs = instance.get_runs(RunsFilter(tags={c.BACKFILL_TAG: backfill_id}))
        wall = time.perf_counter() - started
        failed = sum(1 for run in runs if run.status.value != "SUCCESS")
        calls = server.stats.calls
    memory = harness.children_peak_rss_mib()  # the services, once stopped and waited for
    total_calls = sum(calls.values())
    per_minute = len(keys) / wall * 60
    per_partition = total_calls / len(keys)
    call_time = total_calls / 100 * 60
    print(f"## History backfill {keys[0]} .. {keys[-1]} (simulator today {args.today})\n")
    rows = [
        ("partitions", len(keys)),
        ("runs", f"{len(runs)} ({failed} not successful); backfill {status}"),
        ("wall time", f"{wall:.0f} s"),
        ("partitions per minute", f"{per_minute:.1f} (target >= {PER_MINUTE_TARGET})"),
        (
            "KRA calls per partition",
            f"{per_partition:.3f} (target <= {PER_PARTITION_TARGET})",
        ),
        ("KRA calls per API", ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))),
        ("peak memory (services)", f"{memory:.0f} MiB"),
        ("wall / call time at 100/min", f"{wall / call_time:.1f}" if call_time else "n/a"),
        ("race store", args.store_url or "SQLite under KRA_HOME"),
    ]
    print(harness.table(["measure", "value"], rows))
    print()
    print("\n".join(harness.machine_lines()))


if __name__ == "__main__":
    main()
