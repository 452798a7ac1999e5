"""Shared plumbing of the benchmarks: throwaway state, the offline simulator, race-day
materialization, the machine description and small statistics.

Every benchmark runs in its own temporary KRA_HOME and DAGSTER_HOME so it never touches the
user's race store, rate-limiter budget or Dagster runs.
"""

from __future__ import annotations

import calendar
import logging
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from kra_pipeline.contract import (
    API_CALLS,
)
from kra_pipeline.defs.shared.names import ENRICHED_ENTRY_COUNT
from kra_simulator import SIMULATOR_API_KEY, SimulatorConfig, SimulatorServer
from kra_simulator.world import SimulatedWorld

REPO_ROOT = Path(__file__).resolve().parents[1]
MEETS: tuple[int, ...] = (1, 2, 3)
# The first design fetched each race on its own and each entrant's horse, jockey and trainer.
ORIGINAL_CALLS_PER_RACE = 1
ORIGINAL_CALLS_PER_ENTRANT = 3
# Dagster's console logger prints every event at DEBUG; the figures drown in it.
QUIET_RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def quiet_logs() -> None:
    """Keep figures readable: only warnings from structlog and Dagster."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("dagster").setLevel(logging.WARNING)


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or with None, remove) environment variables for the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def isolated_homes(dagster_yaml: Path | None = REPO_ROOT / "dagster.yaml") -> Iterator[Path]:
    """A temporary KRA_HOME (race store, limiter) with DAGSTER_HOME inside, the repo's
    dagster.yaml copied in; KRA_DATABASE_URL and KRA_LIMITER_URL cleared so both stay inside."""
    with tempfile.TemporaryDirectory(prefix="kra-bench-") as tmp:
        home = Path(tmp)
        dagster_home = home / "dagster"
        dagster_home.mkdir()
        if dagster_yaml is not None:
            shutil.copyfile(dagster_yaml, dagster_home / "dagster.yaml")
        with environment(
            KRA_HOME=str(home),
            DAGSTER_HOME=str(dagster_home),
            KRA_DATABASE_URL=None,
            KRA_LIMITER_URL=None,
        ):
            yield home


@contextmanager
def simulator(
    config: SimulatorConfig | None = None, **client_env: str
) -> Iterator[SimulatorServer]:
    """The offline KRA on loopback, with KRA_API_BASE_URL/KRA_API_KEY pointing the pipeline at it.

    `client_env` adds KRA_* settings for the block (e.g. KRA_RATE_LIMIT_PER_MINUTE="100").
    """
    with (
        SimulatorServer(config or SimulatorConfig()) as server,
        environment(
            KRA_API_BASE_URL=f"{server.base_url}/B551015",
            KRA_API_KEY=SIMULATOR_API_KEY,
            KRA_RATE_LIMIT_PER_MINUTE=client_env.pop("KRA_RATE_LIMIT_PER_MINUTE", "100000"),
            KRA_DAILY_QUOTA=client_env.pop("KRA_DAILY_QUOTA", "0"),  # benchmarks lift it
            **client_env,
        ),
    ):
        yield server


# -- calendar --------------------------------------------------------------------------------


def month_days(month: str) -> list[str]:
    """Every date (YYYYMMDD) of a YYYYMM month."""
    year, number = int(month[:4]), int(month[4:])
    last = calendar.monthrange(year, number)[1]
    return [f"{month}{day:02d}" for day in range(1, last + 1)]


def previous_month(today: str, back: int = 1) -> str:
    """The YYYYMM month `back` months before the month of `today` (YYYYMMDD)."""
    first = date(int(today[:4]), int(today[4:6]), 1)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first.strftime("%Y%m")


def every_partition(months: Sequence[str]) -> list[tuple[str, int]]:
    """Every (date, meet) of the months, race days and empty days, in date order."""
    return [(day, meet) for month in months for day in month_days(month) for meet in MEETS]


def original_design_calls(world: SimulatedWorld, race_date: str, meet: int) -> int:
    """What the first design spent on a day: one call per race and three per entrant."""
    items = world.race_day_items(meet, race_date)
    races = {item["rcNo"] for item in items}
    return ORIGINAL_CALLS_PER_RACE * len(races) + ORIGINAL_CALLS_PER_ENTRANT * len(items)


# -- running the assets ----------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionRun:
    """One materialization of the three race-day assets and what it cost."""

    race_date: str
    meet: int
    seconds: float
    simulator_calls: int
    metadata_calls: int
    entrants: int


def materialize_race_day(instance: Any, race_date: str, meet: int) -> tuple[float, int, int]:
    """Materialize raw → collected → enriched for one partition; (seconds, api_calls from the
    assets' metadata, entrants). Raises if the run fails, since later figures would be wrong."""
    from dagster import materialize

    from kra_pipeline.defs.race_days import race_day_assets
    from kra_pipeline.defs.shared.partitions import race_day_key
    from kra_pipeline.defs.shared.resources import default_resources

    started = time.perf_counter()
    result = materialize(
        race_day_assets,
        partition_key=str(race_day_key(race_date, meet)),
        instance=instance,
        resources=default_resources(),
        run_config=QUIET_RUN_CONFIG,
        raise_on_error=True,
    )
    seconds = time.perf_counter() - started
    calls = entrants = 0
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        meta = {name: getattr(value, "value", value) for name, value in mat.metadata.items()}
        calls += int(meta.get(API_CALLS) or 0)
        entrants += int(meta.get(ENRICHED_ENTRY_COUNT) or 0)
    return seconds, calls, entrants


def run_partitions(
    instance: Any, server: SimulatorServer, partitions: Sequence[tuple[str, int]]
) -> list[PartitionRun]:
    """Materialize the partitions one after another, counting calls at the simulator."""
    runs = []
    for race_date, meet in partitions:
        before = server.stats.total_calls
        seconds, meta_calls, entrants = materialize_race_day(instance, race_date, meet)
        used = server.stats.total_calls - before
        runs.append(PartitionRun(race_date, meet, seconds, used, meta_calls, entrants))
    return runs


# -- machine and statistics ------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def machine_lines() -> list[str]:
    """What the figures were measured on, one `name: value` line each."""
    import dagster

    return [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"CPU: {cpu_model()} ({os.cpu_count()} logical cores)",
        f"RAM: {ram_gib():.1f} GiB",
        f"OS: {platform.platform()}",
        f"Python: {platform.python_version()}",
        f"Dagster: {dagster.__version__}",
    ]


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile by the nearest-rank method; NaN without values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def peak_rss_mib(pid: int | str = "self") -> float:
    """High-water mark of resident memory (VmHWM) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree_peak_rss_mib(pid: int) -> float:
    """The largest VmHWM among a process and its direct children (uvicorn workers), in MiB."""
    peaks = [peak_rss_mib(pid)]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            peaks.append(peak_rss_mib(child))
    return max(peaks)


def children_peak_rss_mib() -> float:
    """The largest peak RSS among waited-for child processes, in MiB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table (the benchmarks print these; run_all pastes them into the doc)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cells = [[str(cell).replace("|", "\\|") for cell in row] for row in rows]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)
