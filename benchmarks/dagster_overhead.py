"""What Dagster itself costs per race-day run when the data is already cached.

    uv run python benchmarks/dagster_overhead.py [--runs 20] [--queued-runs 20]

1. launch → SUCCESS of `collect_races` for one partition whose reference details are cached
   (one API214_1 call left), via `execute_job` on a real DagsterInstance: a temp DAGSTER_HOME
   with the repo's dagster.yaml (SQLite storage, the multiprocess executor, the kra_open_api pool).
2. runs per minute through the run queue: the Dagster webserver and daemon run as
   subprocesses on that DAGSTER_HOME; runs are submitted through GraphQL (the REST shim's
   path), the daemon dequeues them (max_concurrent_runs from dagster.yaml) and they all finish.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import harness
import services
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    JobDefinition,
    RunsFilter,
    execute_job,
    reconstructable,
)

from kra_pipeline.defs.shared.partitions import race_day_key, race_day_partitions
from kra_simulator import SimulatorConfig
from kra_simulator.world import DEFAULT_SEED, seoul_today

JOB_NAME = "collect_races"


def collect_races_job() -> JobDefinition:
    """The job as the code location defines it; a function so steps can reconstruct it."""
    from kra_pipeline.definitions import defs

    return defs.get_job_def(JOB_NAME)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed execute_job runs")
    parser.add_argument("--queued-runs", type=int, default=20, help="runs through the queue")
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator world seed")
    return parser.parse_args()


def execute_runs(instance: DagsterInstance, key: str, count: int) -> list[float]:
    """Seconds from launch to SUCCESS of `count` runs of one partition (after a warm-up run)."""
    job = reconstructable(collect_races_job)
    tags = {**race_day_partitions.get_tags_for_partition_key(key), "kra/job_type": "benchmark"}
    seconds = []
    for index in range(count + 1):
        started = time.perf_counter()
        with execute_job(job, instance, run_config=harness.QUIET_RUN_CONFIG, tags=tags) as result:
            if not result.success:
                raise RuntimeError(f"run {result.run_id} of {key} failed; see its event log")
        if index:  # the first run fills the reference cache
            seconds.append(time.perf_counter() - started)
    return seconds


def queue_throughput(instance: DagsterInstance, key: str, count: int) -> dict[str, Any]:
    """Submit `count` runs through the webserver at once; time until the daemon finished all."""
    from dagster_graphql import DagsterGraphQLClient

    tags = race_day_partitions.get_tags_for_partition_key(key)
    with services.dagster_services() as port:
        client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=60)
        started = time.perf_counter()
        run_ids = [
            client.submit_job_execution(
                JOB_NAME, run_config=harness.QUIET_RUN_CONFIG, tags=dict(tags)
            )
            for _ in range(count)
        ]
        submitted = time.perf_counter() - started
        done_statuses = [
            DagsterRunStatus.SUCCESS,
            DagsterRunStatus.FAILURE,
            DagsterRunStatus.CANCELED,
        ]
        flt = RunsFilter(run_ids=run_ids, statuses=done_statuses)
        deadline = time.monotonic() + 60 * 30
        while instance.get_runs_count(flt) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("queued runs did not finish within 30 minutes")
            time.sleep(0.5)
        wall = time.perf_counter() - started
    records = instance.get_run_records(RunsFilter(run_ids=run_ids))
    failed = sum(1 for r in records if r.dagster_run.status != DagsterRunStatus.SUCCESS)
    waits = [r.start_time - r.create_timestamp.timestamp() for r in records if r.start_time]
    durations = [r.end_time - r.start_time for r in records if r.start_time and r.end_time]
    return {
        "count": count,
        "failed": failed,
        "submit_seconds": submitted,
        "wall": wall,
        "per_minute": count / wall * 60,
        "queue_wait_median": harness.median(waits),
        "run_median": harness.median(durations),
    }


def main() -> None:
    args = parse_args()
    harness.quiet_logs()
    # Dagster's own multi-partition tags trip its tag-key deprecation check; not ours to fix.
    warnings.filterwarnings("ignore", "Non-compliant tag keys", DeprecationWarning)
    config = SimulatorConfig(seed=args.seed, today=args.today)
    with harness.isolated_homes(), harness.simulator(config) as server:
        month = harness.previous_month(args.today)
        race_date, meet = server.world.race_days(f"{month}01", f"{month}28")[0]
        key = str(race_day_key(race_date, meet))
        with DagsterInstance.get() as instance:
            latencies = execute_runs(instance, key, args.runs)
            queued = queue_throughput(instance, key, args.queued_runs) if args.queued_runs else None
    print("## Dagster overhead per run (data cached)\n")
    rows = [
        ["partition", f"{key} (reference details cached, 1 KRA call per run)"],
        ["instance", "SQLite on a temp DAGSTER_HOME with the repo's dagster.yaml"],
        [
            f"execute_job launch → SUCCESS ({len(latencies)} runs)",
            f"median {harness.median(latencies):.2f} s, "
            f"p95 {harness.percentile(latencies, 0.95):.2f} s, "
            f"min {min(latencies):.2f} s, max {max(latencies):.2f} s",
        ],
    ]
    if queued:
        rows += [
            [
                f"through the queue ({queued['count']} runs, GraphQL → daemon)",
                f"{queued['per_minute']:.1f} runs/min ({queued['wall']:.0f} s for all, "
                f"{queued['failed']} failed)",
            ],
            [
                "queued run: wait / run time (median)",
                f"{queued['queue_wait_median']:.1f} s / {queued['run_median']:.1f} s",
            ],
        ]
    print(harness.table(["figure", "value"], rows))


if __name__ == "__main__":
    main()
