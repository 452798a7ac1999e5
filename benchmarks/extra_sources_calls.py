"""KRA calls per race-day partition for the sources beside the card (API301, API160_1, API9_1,
API189_1, API26_2).

    uv run python benchmarks/extra_sources_calls.py [--month YYYYMM] [--today YYYYMMDD]

Every date × meet of one month, against the simulator, with the KraClient calls the assets
make: the pool grids only for partitions with finished races, the scratches and the track
reports only for race days, the entry sheet only for today and the three days after it (the
assets skip the other partitions without a call). Calls are the simulator's own
count. Target (issue 13): at most 3 calls per race-day partition per added API on average.
"""

from __future__ import annotations

import argparse

import harness

from kra_pipeline.defs.upcoming.assets import is_upcoming
from kra_pipeline.kra.client import KraClient
from kra_simulator import SimulatorConfig

TARGET = 3.0
APIS = ("API301", "API160_1", "API9_1", "API189_1", "API26_2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="202505")
    parser.add_argument("--today", default="20250620")
    args = parser.parse_args()
    partitions = harness.every_partition([args.month])
    with harness.isolated_homes(), harness.simulator(SimulatorConfig(today=args.today)) as server:
        race_days = {
            (d, m) for d, m in server.world.race_days(f"{args.month}01", partitions[-1][0])
        }
        rows = 0
        with KraClient() as client:
            for race_date, meet in partitions:
                if (race_date, meet) not in race_days:
                    continue
                if server.world.has_results(race_date):
                    for api in ("API301", "API160_1"):
                        rows += len(client.fetch_pool_grid(api, meet, race_date))
                client.fetch_scratches(meet, race_date)
                client.fetch_track(meet, race_date)
        with KraClient() as client:
            for race_date, meet in partitions:
                if is_upcoming(race_date, args.today):
                    client.fetch_entry_sheet(meet, race_date)
        calls = server.stats.calls
    print(f"{args.month}: {len(partitions)} partitions, {len(race_days)} race days, {rows} rows")
    print("| API | calls | per partition | per race day | target |")
    print("|---|---|---|---|---|")
    for api in APIS:
        n = calls.get(api, 0)
        per_day = n / len(race_days) if race_days else 0.0
        verdict = "met" if per_day <= TARGET else "MISSED"
        print(f"| {api} | {n} | {n / len(partitions):.2f} | {per_day:.2f} | {verdict} |")


if __name__ == "__main__":
    main()
