"""Latency of the REST shim's busiest reads over a large Dagster instance, SQLite and PostgreSQL.

    uv run python benchmarks/rest_latency.py [--runs 10000] [--concurrency 4] [--requests 400]

The instance gets `--runs` finished runs and as many materialized partitions (raw, collected
and enriched each; see seed_instance.py for how) plus three real runs with full event logs.
The shim runs under uvicorn in its own process; a second process (loadgen.py) sends
concurrent requests on loopback. Targets: status p95 ≤ 50 ms, job list p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import harness
import psycopg2
import seed_instance
import services
from dagster import DagsterInstance
from psycopg2 import sql

from kra_api.auth import key_fingerprint
from kra_pipeline.defs.shared.partitions import split_race_day_key
from kra_simulator import SimulatorConfig
from kra_simulator.world import seoul_today

API_KEY = "benchmark-key-0123456789"
POSTGRES_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
TARGETS_MS = {"status": 50.0, "job list": 100.0}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs and partitions to seed")
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients")
    parser.add_argument("--shim-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint")
    parser.add_argument(
        "--backends", nargs="*", default=["sqlite", "postgres"], help="sqlite and/or postgres"
    )
    return parser.parse_args()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway database on the local server (trust auth), dropped afterwards."""
    name = f"kra_bench_{uuid.uuid4().hex[:10]}"
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, whose server-side binding breaks
        # dagster-postgres' `NOTIFY run_events, %(id)s`: name psycopg2 explicitly.
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _admin(statement: sql.Composed) -> None:
    """One statement on a fresh admin connection (a long benchmark outlives idle ones)."""
    admin = psycopg2.connect(connect_timeout=5, **POSTGRES_ADMIN)
    admin.autocommit = True  # CREATE/DROP DATABASE refuse to run inside a transaction
    try:
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()


@contextmanager
def backend_home(backend: str) -> Iterator[None]:
    if backend == "sqlite":
        with harness.isolated_homes():
            yield
        return
    with (
        postgres_database() as url,
        harness.isolated_homes(harness.REPO_ROOT / "deploy" / "dagster.postgres.yaml"),
        harness.environment(DAGSTER_PG_URL=url),
    ):
        yield


def load(url: str, paths: list[str], concurrency: int, requests: int) -> dict[str, Any]:
    """Warm up on every path once, then load from a second process; latencies in ms."""
    command = [
        sys.executable,
        str(harness.REPO_ROOT / "benchmarks" / "loadgen.py"),
        "--base-url",
        url,
        "--key",
        API_KEY,
    ]
    unique = sorted(set(paths))  # first reads open caches (and SQLite run shards): not measured
    subprocess.run(
        [*command, "--concurrency", "1", "--requests", str(len(unique)), *unique],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [*command, "--concurrency", str(concurrency), "--requests", str(requests), *paths],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout)
    latencies = result["latencies_ms"]
    return {
        "p50": harness.percentile(latencies, 0.50),
        "p95": harness.percentile(latencies, 0.95),
        "max": max(latencies),
        "rps": len(latencies) / result["wall"],
        "statuses": result["statuses"],
    }


def measure(backend: str, args: argparse.Namespace) -> list[list[Any]]:
    rows = []
    with backend_home(backend), harness.simulator(SimulatorConfig(today=args.today)) as server:
        instance = DagsterInstance.get()
        month = harness.previous_month(args.today)
        real = [
            harness.materialize_race_day(instance, d, m)
            for d, m in server.world.race_days(f"{month}01", f"{month}28")[:3]
        ]
        real_ids = [r.dagster_run.run_id for r in instance.get_run_records(limit=len(real))]
        keys = seed_instance.recent_partition_keys(args.runs)
        started = time.perf_counter()
        run_ids = seed_instance.seed_runs(instance, keys, key_fingerprint(API_KEY))
        events = seed_instance.seed_materializations(instance, keys, run_ids)
        seeded = time.perf_counter() - started
        instance.dispose()
        rng = random.Random(7)
        status_paths = []
        for key in rng.sample(keys, 200):
            race_date, meet = split_race_day_key(key)
            status_paths.append(f"/api/v2/collection/status?date={race_date}&meet={meet}")
        detail_paths = [f"/api/v2/jobs/{run_id}" for run_id in rng.sample(run_ids, 30)]
        detail_paths += [f"/api/v2/jobs/{run_id}" for run_id in real_ids] * 10
        rng.shuffle(detail_paths)
        endpoints = {
            "status": status_paths,
            "job list": ["/api/v2/jobs/?limit=50"],
            "job detail": detail_paths,
        }
        with (
            harness.environment(VALID_API_KEYS=API_KEY),
            services.rest_shim(args.shim_workers) as (url, shim),
        ):
            for name, paths in endpoints.items():
                figures = load(url, paths, args.concurrency, args.requests)
                target = TARGETS_MS.get(name)
                verdict = (
                    ""
                    if target is None
                    else (f" (≤ {target:g}: {'met' if figures['p95'] <= target else 'MISSED'})")
                )
                rows.append(
                    [
                        backend,
                        name,
                        f"{figures['p50']:.1f}",
                        f"{figures['p95']:.1f}{verdict}",
                        f"{figures['max']:.0f}",
                        f"{figures['rps']:.0f}",
                        dict(figures["statuses"]),
                    ]
                )
            shim_peak = harness.tree_peak_rss_mib(shim.pid)
        rows.append(
            [
                backend,
                f"seeded {len(run_ids)} runs + {events} materializations in "
                f"{seeded:.0f} s; shim peak RSS {shim_peak:.0f} MiB (largest process)",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    return rows


def main() -> None:
    args = parse_args()
    harness.quiet_logs()
    rows = []
    for backend in args.backends:
        rows += measure(backend, args)
    print(
        f"## REST shim latency ({args.runs} runs, {args.concurrency} concurrent clients, "
        f"{args.requests} requests per endpoint, {args.shim_workers} uvicorn worker(s))\n"
    )
    print(
        harness.table(
            ["storage", "endpoint", "p50 ms", "p95 ms", "max ms", "req/s", "statuses"], rows
        )
    )


if __name__ == "__main__":
    main()
