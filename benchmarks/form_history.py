"""Time and peak memory of point-in-time form over the whole history, and of its Parquet export.

    uv run python benchmarks/form_history.py [--from 20150101] [--today YYYYMMDD] [--store FILE]

A SQLite race store is filled once from the simulator (every race day of every meet from
--from to the day before --today, through the store's own write function) and kept at --store
for later runs; building it is timed but is not a target. Each measured step runs in a fresh
child process so its peak RSS (VmHWM) is its own: (1) read the history and compute the form of
every entrant in one pass; (2) `export_entrants` to Parquet (frames with results, registry
snapshots and form). Targets: at most 60 s and 1 GiB each on the 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness

from kra_simulator.world import seoul_today

TARGET_SECONDS = 60.0
TARGET_MIB = 1024.0
DEFAULT_STORE = Path(".kra/bench/form_history.sqlite")


_worker_world: list = []  # one SimulatedWorld per worker process


def _start_worker(today: str) -> None:
    from kra_simulator.world import SimulatedWorld

    _worker_world.append(SimulatedWorld(today=today))


def _races_of(task: tuple[str, int]) -> tuple[str, int, list]:
    from kra_pipeline.races.models import RaceEntrant, group_races

    day, meet = task
    items = _worker_world[0].race_day_items(meet, day)
    return day, meet, group_races(RaceEntrant.from_item(item) for item in items)


def build_store(path: Path, first: str, today: str) -> None:
    """Every simulated race day from `first` to the day before `today`, written day by day."""
    from kra_pipeline.store.db import get_engine
    from kra_pipeline.store.race_days import replace_collected_race_day
    from kra_simulator.world import SimulatedWorld

    last = (dt.datetime.strptime(today, "%Y%m%d") - dt.timedelta(days=1)).strftime("%Y%m%d")
    days = SimulatedWorld(today=today).race_days(first, last)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = get_engine(f"sqlite:///{partial}")
    started = time.perf_counter()
    with multiprocessing.Pool(2, initializer=_start_worker, initargs=(today,)) as pool:
        for n, (day, meet, races) in enumerate(pool.imap(_races_of, days, chunksize=8), 1):
            replace_collected_race_day(engine, day, meet, races)
            if n % 200 == 0:
                print(f"  built {n}/{len(days)} race days ({day})", file=sys.stderr)
    engine.dispose()
    partial.rename(path)
    print(f"Store built: {len(days)} race days in {time.perf_counter() - started:.0f} s")


def child(mode: str, url: str, first: str, last: str) -> None:
    """One measured step in this fresh process; prints seconds, rows and peak RSS as JSON."""
    from kra_pipeline.store.db import get_engine

    engine = get_engine(url)
    started = time.perf_counter()
    if mode == "form":
        from kra_pipeline.form.compute import compute_form
        from kra_pipeline.store.form import history_query, read_history

        rows = len(compute_form(read_history(engine, history_query(last))))
    else:
        from kra_pipeline.dataset.export import export_entrants

        with tempfile.TemporaryDirectory() as out:
            rows = export_entrants(Path(out), first, last, "parquet", engine=engine).rows
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mib": harness.peak_rss_mib()}))


def measure(mode: str, url: str, first: str, last: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, url, first, last],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", default="20150101")
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if not args.store.exists():
        build_store(args.store, args.first, args.today)
    url = f"sqlite:///{args.store.resolve()}"
    rows = []
    for mode, label in (("form", "form of every entrant"), ("export", "Parquet export")):
        result = measure(mode, url, args.first, args.today)
        ok = result["seconds"] <= TARGET_SECONDS and result["peak_mib"] <= TARGET_MIB
        rows.append(
            [
                label,
                f"{result['rows']:,}",
                f"{result['seconds']:.1f} s",
                f"{result['peak_mib']:.0f} MiB",
                "met" if ok else "MISSED",
            ]
        )
    print(f"## Point-in-time form, {args.first} → {args.today} (simulator, SQLite)\n")
    print(harness.table(["step", "entrants", "time", "peak RSS", "≤ 60 s, ≤ 1 GiB"], rows))
    print("\n" + "\n".join(f"- {line}" for line in harness.machine_lines()))


if __name__ == "__main__":
    main()
