"""Peak memory (RSS high-water mark, VmHWM) of race-day runs.

    uv run python benchmarks/memory.py

The simulator runs in this process; each measured run happens in a fresh child process so its
peak is its own: (1) a cold race day (every registry listed) materialized in-process with
`materialize()`, (2) the same partition through `collect_races` with `execute_job` and the
multiprocess executor (the launching process and the largest step process). The REST shim's
peak is measured by rest_latency.py after its load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import harness

from kra_simulator import SimulatorConfig
from kra_simulator.world import DEFAULT_SEED, seoul_today


def child(race_date: str, meet: int, mode: str) -> None:
    """Run one partition in this fresh process and print its peak RSS as JSON."""
    harness.quiet_logs()
    from dagster import DagsterInstance, execute_job, reconstructable
    from dagster_overhead import collect_races_job

    from kra_pipeline.defs.shared.partitions import race_day_key, race_day_partitions

    with DagsterInstance.get() as instance:
        if mode == "materialize":
            harness.materialize_race_day(instance, race_date, meet)
        else:
            key = str(race_day_key(race_date, meet))
            tags = race_day_partitions.get_tags_for_partition_key(key)
            job = reconstructable(collect_races_job)
            with execute_job(job, instance, run_config=harness.QUIET_RUN_CONFIG, tags=tags) as r:
                if not r.success:
                    raise RuntimeError(f"run {r.run_id} failed")
    print(json.dumps({"self": harness.peak_rss_mib(), "children": harness.children_peak_rss_mib()}))


def measure(race_date: str, meet: int, mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, race_date, str(meet)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "DATE", "MEET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[1], int(args.child[2]), args.child[0])
        return
    harness.quiet_logs()
    month = harness.previous_month(args.today)
    with (
        harness.isolated_homes(),
        harness.simulator(SimulatorConfig(seed=DEFAULT_SEED, today=args.today)) as server,
    ):
        race_day = max(
            server.world.race_days(f"{month}01", f"{month}28"),
            key=lambda day: len(server.world.race_day_items(day[1], day[0])),
        )
        entrants = len(server.world.race_day_items(race_day[1], race_day[0]))
        cold = measure(*race_day, "materialize")
        launched = measure(*race_day, "execute_job")
        peak_rss = harness.peak_rss_mib()
    print("## Peak memory (VmHWM)\n")
    print(
        harness.table(
            ["process", "peak RSS"],
            [
                [
                    f"materialize(), cold race day {race_day[0]} meet {race_day[1]} "
                    f"({entrants} entrants, registries listed)",
                    f"{cold['self']:.0f} MiB",
                ],
                ["execute_job (multiprocess), launching process", f"{launched['self']:.0f} MiB"],
                [
                    "execute_job (multiprocess), largest step process",
                    f"{launched['children']:.0f} MiB",
                ],
                ["benchmark process with the simulator (for scale)", f"{peak_rss:.0f} MiB"],
            ],
        )
    )


if __name__ == "__main__":
    main()
