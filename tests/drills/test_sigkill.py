"""Drill: the process of a run is killed with SIGKILL in the middle of collecting a race day.

Nothing of the day may be half-written; run monitoring (the daemon's own logic, on the repo's
dagster.yaml) must mark the dead run failed and free its `kra_open_api` pool slot, so that the retry
can run and store the day complete, once.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.monitoring.concurrency import execute_concurrency_slots_iteration
from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration

from kra_pipeline.store.db import get_engine
from tests.drills.conftest import DrillSimulator
from tests.drills.dagster_home import (
    REPO_ROOT,
    clock_advanced_by,
    materialize_command,
    prepare_dagster_home,
)
from tests.drills.race_days import has_no_rows, materialize_race_day, race_day_problems

KEY = "20250607|1"
CLI_START_SECONDS = 120  # `dagster asset materialize` imports Dagster: slow on a busy machine
MONITORING = "dagster._daemon.monitoring.run_monitoring"
SLOTS = "dagster._daemon.monitoring.concurrency"
log = logging.getLogger(__name__)


def start_run_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        materialize_command(KEY),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_once_collecting(process: subprocess.Popen[bytes], calls: Callable[[], int]) -> None:
    """SIGKILL the run as soon as its first KRA request is in flight."""
    deadline = time.monotonic() + CLI_START_SECONDS
    while calls() == 0:
        assert process.poll() is None, "the run process ended before it called KRA"
        assert time.monotonic() < deadline, "the run process never called KRA"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def monitor(instance: DagsterInstance, ahead: float) -> None:
    """One pass of the daemon's run monitoring and slot freeing, `ahead` seconds from now."""
    with (
        WorkspaceProcessContext(instance, EmptyWorkspaceTarget()) as context,
        clock_advanced_by(ahead, MONITORING, SLOTS),
    ):
        errors = [e for e in execute_run_monitoring_iteration(context, log) if e is not None]
        errors += [e for e in execute_concurrency_slots_iteration(context, log) if e is not None]
    assert errors == []


@pytest.mark.slow
def test_a_run_killed_mid_collection_is_failed_freed_retried_and_complete(
    tmp_path: Path, drill_simulator: DrillSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every answer of this KRA takes 8 s: the run is surely mid-request when it is killed.
    stalled = drill_simulator(fault_rate=1.0, fault_kinds=("slow",), slow_seconds=8)
    home = prepare_dagster_home(tmp_path / "dagster")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("KRA_API_TIMEOUT_SECONDS", "30")

    process = start_run_process(dict(os.environ))
    kill_once_collecting(process, lambda: stalled.stats.total_calls)

    with DagsterInstance.get() as instance:
        (killed,) = instance.get_runs()
        assert killed.status == DagsterRunStatus.STARTED  # nobody told Dagster it died
        assert has_no_rows(get_engine(), KEY)  # and nothing of the day was half-written
        # The dead run still holds the `kra_open_api` pool slot: every other collection waits on it.
        assert killed.run_id in instance.event_log_storage.get_concurrency_run_ids()

        max_runtime = instance.run_monitoring_max_runtime_seconds
        assert max_runtime > 0, (
            "dagster.yaml: run_monitoring has no max_runtime_seconds, and the default run "
            "launcher cannot check run workers, so a killed run stays STARTED forever"
        )
        slot_grace = instance.run_monitoring_settings["free_slots_after_run_end_seconds"]
        monitor(instance, ahead=max_runtime + 1)
        assert instance.get_run_by_id(killed.run_id).status == DagsterRunStatus.FAILURE
        monitor(instance, ahead=max_runtime + slot_grace + 2)
        assert killed.run_id not in instance.event_log_storage.get_concurrency_run_ids()

        # The retry, against a KRA that answers again, as run retries would launch it.
        healthy = drill_simulator()
        retry = materialize_race_day(instance, KEY, raise_on_error=False)
        assert retry.success
    engine = get_engine()
    assert race_day_problems(engine, healthy.world, KEY) == []
