"""The backfill estimate against the calls the race-day assets then make on the simulator.

    cd benchmarks && uv run python backfill_estimate.py

For each range (months on the API4_3 path with cold registries, then the last four days on the
per-day path with the listings just taken), one store in a temporary KRA_HOME: the estimate
`POST /api/v2/collection/backfill` answers (kra_api/services/backfill_costs.py), then one
materialization of the three race-day assets over the range (as one batched backfill run does)
and the simulator's count of calls per API. Ranges run in order, so each sees what the ones
before it stored.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import harness
from dagster import DagsterInstance, materialize

from kra_api.services.backfill_costs import estimate_backfill
from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.shared.partitions import kst_today
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.store.db import get_engine

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def keys(first: date, last: date, meet: int) -> list[str]:
    return [f"{first + timedelta(days=n):%Y%m%d}|{meet}" for n in range((last - first).days + 1)]


def main() -> None:
    harness.quiet_logs()
    today = kst_today()
    ranges = [
        keys(date(2024, 9, 1), date(2024, 10, 31), 1),
        keys(date(2023, 3, 1), date(2023, 3, 31), 3),
        keys(date(2023, 3, 1), date(2023, 3, 31), 2),
        keys(today - timedelta(days=4), today - timedelta(days=1), 1),
    ]
    rows = []
    started = time.perf_counter()
    with (
        harness.isolated_homes(),
        harness.simulator() as server,
        DagsterInstance.ephemeral() as instance,
    ):
        for partition_keys in ranges:
            expected = estimate_backfill(get_engine(), partition_keys)
            before = dict(server.stats.calls)
            result = materialize(
                race_day_assets,
                instance=instance,
                resources=default_resources(),
                tags=dict(zip(RANGE_TAGS, (partition_keys[0], partition_keys[-1]), strict=True)),
                run_config=harness.QUIET_RUN_CONFIG,
            )
            made = {
                api: n - before.get(api, 0)
                for api, n in sorted(server.stats.calls.items())
                if n - before.get(api, 0)
            }
            estimated = {api: n for api, n in expected.calls.items() if n}
            total = sum(made.values())
            off = abs(expected.total_calls - total) / total if total else 0.0
            rows.append(
                (
                    f"{partition_keys[0]} .. {partition_keys[-1]}",
                    len(partition_keys),
                    f"{expected.total_calls} {estimated}",
                    f"{total} {made}" + ("" if result.success else " (run failed)"),
                    f"{off:.0%}",
                )
            )
    print("## Backfill estimate vs calls made (simulator)\n")
    print(harness.table(["range", "partitions", "estimated", "made", "off by"], rows))
    print(f"\n{time.perf_counter() - started:.0f} s in all\n")
    print("\n".join(harness.machine_lines()))


if __name__ == "__main__":
    main()
