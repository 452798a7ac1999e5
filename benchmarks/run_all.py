"""Run every benchmark and write docs/BENCHMARKS.md with the figures and the machine.

    uv run python benchmarks/run_all.py                 # everything; the quota backfill at
                                                        # 100/min takes ~15 minutes
    uv run python benchmarks/run_all.py --quick-quota   # quota backfill scaled to 100 per 6 s
    uv run python benchmarks/run_all.py --only rest_latency memory

Each benchmark runs as its own process (as documented for running it alone) and prints
markdown; this script pastes that output between markers, so `--only` refreshes some
sections and keeps the others. Benchmarks never fail on a time: they print figures.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass

import harness

DOC = harness.REPO_ROOT / "docs" / "BENCHMARKS.md"


@dataclass(frozen=True)
class Benchmark:
    name: str
    args: tuple[str, ...]
    about: str


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "calls_per_partition",
        (),
        "KRA calls per race-day partition when the real assets are materialized against the "
        "simulator (ephemeral Dagster instance; calls do not depend on run storage): the first "
        "race day of each meet with a cold reference cache, the next one warm, and a whole "
        "month of every date × meet (race days and empty days) in date order. Calls are the "
        "simulator's count, cross-checked with the assets' `api_calls` metadata. The original "
        "design's count is computed from the simulator's own data: one call per race plus "
        "three per entrant. Run for the last full month and the same month two years earlier.",
    ),
    Benchmark(
        "quota_backfill",
        (),
        "Three months of every meet backfilled partition by partition with the simulator's "
        "quota at 100 calls per 60 s and the client's limiter at KRA_RATE_LIMIT_PER_MINUTE=100. "
        "Quota violations are the simulator's count of refused calls. `--window-seconds` runs "
        "a scaled version (the same 100 calls per a shorter window); `--processes 3` runs three "
        "workers sharing the SQLite limiter under KRA_HOME.",
    ),
    Benchmark(
        "quota_backfill",
        ("--months", "1", "--end-month", "{older}", "--window-seconds", "6", "--processes", "3"),
        "Cross-process proof: an older month (many per-id horse look-ups, so the quota binds) "
        "backfilled by three processes at once, each with its own ephemeral Dagster instance "
        "(one shared instance would serialise their API steps through the `kra_api` pool), "
        "kept within 100 calls per 6 s only by the shared limiter.",
    ),
    Benchmark(
        "dagster_overhead",
        (),
        "What Dagster costs per run once the data is cached (one API214_1 call left): launch → "
        "SUCCESS of `collect_races` with `execute_job` on a SQLite instance in a temp "
        "DAGSTER_HOME with the repo's dagster.yaml (multiprocess executor), and runs per minute "
        "through the queue: runs submitted through the webserver's GraphQL (the REST shim's "
        "path) and started by `dagster-daemon` (max_concurrent_runs 4, `kra_api` pool of 1).",
    ),
    Benchmark(
        "rest_latency",
        (),
        "The REST shim under uvicorn over an instance holding 10,000 runs and 10,000 "
        "materialized partitions (3 assets each), written with Dagster's own row builders in "
        "large transactions (see benchmarks/seed_instance.py), plus three real runs with full "
        "event logs. A second process (benchmarks/loadgen.py, httpx + threads) sends 4 "
        "concurrent clients' requests on loopback. Targets: status p95 ≤ 50 ms, job list "
        "p95 ≤ 100 ms.",
    ),
    Benchmark(
        "rest_latency",
        ("--shim-workers", "2"),
        "The same load with the shim under two uvicorn worker processes: Dagster's SQLite "
        "event-log storage answers one query at a time per process (a process-wide lock around "
        "a new engine per query), so a second worker is the cheapest way to use both cores.",
    ),
    Benchmark(
        "memory",
        (),
        "Peak RSS (VmHWM from /proc) of one race-day run in a fresh process; the shim's peak "
        "after its load is in the REST table above.",
    ),
)


def command(bench: Benchmark, args: argparse.Namespace) -> list[str]:
    older = harness.previous_month(args.today, back=25)
    extra = [part.format(older=older) for part in bench.args]
    if bench.name == "quota_backfill" and args.quick_quota and not bench.args:
        extra += ["--window-seconds", "6"]
    return [sys.executable, f"benchmarks/{bench.name}.py", "--today", args.today, *extra]


def section_id(index: int) -> str:
    return f"bench-{index}"


def render(index: int, bench: Benchmark, cmd: list[str], output: str, seconds: float) -> str:
    """Heading, what is measured, how to reproduce, then the printed figures."""
    shown = " ".join(["uv run python", *cmd[1:]])
    text = output.strip().replace("\n## ", "\n### ")
    heading, _, figures = text.partition("\n")
    if not heading.startswith("## "):
        heading, figures = f"## {bench.name}", text
    return "\n".join([
        f"<!-- {section_id(index)} -->",
        heading.replace("## ", "### ", 1),
        "",
        bench.about,
        "",
        f"Reproduce: `{shown}` (measured {time.strftime('%Y-%m-%d')}, "
        f"{seconds / 60:.1f} min on this machine)",
        "",
        figures.strip(),
        f"<!-- /{section_id(index)} -->",
    ])  # fmt: skip


def write_doc(sections: dict[str, str]) -> None:
    old = DOC.read_text() if DOC.exists() else ""
    for match in re.finditer(r"<!-- (bench-\d+) -->.*?<!-- /\1 -->", old, re.S):
        sections.setdefault(match.group(1), match.group(0))
    body = [sections[section_id(i)] for i in range(len(BENCHMARKS)) if section_id(i) in sections]
    header = [
        "# Benchmarks",
        "",
        "Figures printed by `benchmarks/*.py` against the offline KRA simulator, each in a "
        "temporary KRA_HOME and DAGSTER_HOME. Regenerate this file with "
        "`uv run python benchmarks/run_all.py` (~12 min here; `--quick-quota` scales the quota "
        "window to 6 s, `--only NAME...` reruns some sections and keeps the others with their "
        "own date; the machine below is that of the last run). Benchmarks print figures and "
        "never fail on a time.",
        "",
        *[f"- {line}" for line in harness.machine_lines()],
        "",
        FINDINGS.strip(),
        "",
        "## Figures",
        "",
    ]
    DOC.write_text("\n".join(header) + "\n" + "\n\n".join(body) + "\n")


FINDINGS = """
## Findings

Written by hand from the figures below (2026-11-22); rerunning refreshes the figures, not
this summary. The machine has 2 cores shared with other work, so latencies vary by ±20 %
between runs; calls and quota violations are exact and deterministic for a given seed/today.

- **Calls, recent month: targets met.** 1.11 calls per partition on average (target ≤ 2),
  5 on the worst cold race day (target ≤ 10), warm race days 1 call; 83× fewer calls than the
  original design (8,546). The simulator's count and the assets' `api_calls` metadata agree.
  65 of the 103 calls are the one API214_1 call each *empty* day still costs.
- **Calls, a month two years back: targets missed.** 6.14 per partition, 21 per race day,
  38 on the worst cold day. The whole-meet horse listing (API8_2) holds only horses active in
  the simulator's current year, so 472 retired horses were looked up one by one; jockeys and
  trainers stay at one listing per meet. Still 13× cheaper than the original design. Old
  backfills are dominated by per-id horse look-ups; nothing in the current design avoids them.
- **Quota backfill: 0 violations.** Three months (276 partitions, 286 calls) at 100 calls/min
  took 3.4 min in one process on an idle machine (9.6 min in an earlier run while other jobs
  shared the CPU); the busiest 60 s window held 99 calls. The original design would need
  24,212 calls, 4.0 h at 100/min. Expect ~3–10 min for the full run here; the quota floor is
  (calls − 100) / 100 minutes, so an older 3-month window (~1,700 calls) needs ≥ 17 min.
  Three processes sharing the SQLite limiter (older month, scaled to 100 per 6 s) kept every
  window at or below 100 (busiest exactly 100), 0 violations: the limiter holds across
  processes. They spent 742 calls where one process spent 571, because workers starting on a
  cold cache look up the same retired horses at the same time.
- **Dagster overhead.** A cached partition runs launch → SUCCESS in 0.65 s median (p95 0.86 s)
  with `execute_job`. Through the queue (GraphQL submit → daemon → run worker process) 11 runs
  per minute: each queued run waited 55 s (median) for 0.6 s of work, so throughput is bound by
  starting one run-worker process per run (code location import) on 2 cores, not by KRA.
- **REST shim, 10,000 runs, 4 concurrent clients.** After the gateway fixes below (commit
  ae92285), with **two uvicorn workers** PostgreSQL meets both targets (status p95 42.8 ms, job
  list 71.7 ms; before the fixes 196 and 181 ms) and SQLite meets the job list (41.5 ms) but not
  status (63.3 ms). With one worker: job list met on both (SQLite 73.9 ms, PostgreSQL 69.3 ms),
  status missed (SQLite 105.5 ms, PostgreSQL 60.2 ms). With one client SQLite meets both.
  Profiled in-process: a status request is ~10 ms of Dagster storage work (three partition
  materialization reads, each with an asset-details read, plus the partition's runs) and ~7 ms
  of HTTP framework, in one GIL-bound process, so 4 clients queue behind each other.
  1. *Fixed — PostgreSQL opened a new connection per query.* `DagsterInstance.get()` builds
     dagster-postgres storages without a pool; the gateway now calls
     `instance.optimize_for_webserver(...)` as dagster-webserver does (in-process: status
     76.5 → 5.5 ms, job list 54 → 23 ms).
  2. *Open — SQLite answers one event-log query at a time per process* (Dagster's
     `SqliteEventLogStorage` locks around a new engine per query). More workers help; `kra up`
     runs one, because the Prometheus counters are per process (multi-process metrics first).
     Reading the three latest materializations in one query would cut the status cost.
  3. *Fixed — the job list read 200 runs to show 50;* it now reads `offset + limit`.
- **Memory.** A cold race day run peaks at 151 MiB RSS (in-process `materialize`, which is how
  the code location now executes runs); with a multiprocess executor the launcher peaks at
  134 MiB and the largest step process at 126 MiB.
  The shim peaks at 150–165 MiB per worker with 10,000 runs in the instance.
"""


def main() -> None:
    from kra_pipeline.kra.simulator.world import seoul_today

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names to run (default: all)")
    parser.add_argument("--quick-quota", action="store_true", help="scaled quota window (6 s)")
    parser.add_argument("--today", default=seoul_today(), help="simulator's today (YYYYMMDD)")
    parser.add_argument(
        "--doc-only", action="store_true", help="rewrite the doc from its sections, run nothing"
    )
    args = parser.parse_args()
    sections: dict[str, str] = {}
    if args.doc_only:
        write_doc(sections)
        return
    for index, bench in enumerate(BENCHMARKS):
        if args.only and bench.name not in args.only:
            continue
        cmd = command(bench, args)
        print(f"running {' '.join(cmd[1:])}", flush=True)
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=harness.REPO_ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        output = done.stdout
        if done.returncode:
            output += f"\n\n**Failed** (exit {done.returncode}):\n\n```\n{done.stderr[-3000:]}\n```"
        print(output, flush=True)
        sections[section_id(index)] = render(index, bench, cmd, output, seconds)
        write_doc(dict(sections))
    print(f"wrote {DOC.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
