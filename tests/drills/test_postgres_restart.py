"""Drill: PostgreSQL restarts in the middle of a backfill on the PostgreSQL deployment (Dagster
instance via dagster-postgres, race store on PostgreSQL). No stage of a race day may end
half-written (a complete stage before an empty one is allowed), no run may be left looking
alive, and re-running what failed completes the backfill.

This restarts the machine's shared server: the outage is one `pg_ctlcluster restart`, and the
drill waits until the server accepts connections again before it goes on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from kra_cli.stack import create_instance_storage
from kra_pipeline.store.db import dispose_engines, get_engine
from tests.drills.conftest import DrillSimulator
from tests.drills.dagster_home import REPO_ROOT, prepare_dagster_home
from tests.drills.race_days import MEETS, partial_stages, race_day_problems, split
from tests.drills.workers import materialize_on_instance, pipeline_pool
from tests.fixtures.postgres import (
    POSTGRES_ADMIN_DATABASE,
    POSTGRES_HOST,
    POSTGRES_PORT,
    POSTGRES_USER,
    temporary_postgres_database,
)

POSTGRES_CONFIG = REPO_ROOT / "deploy" / "dagster.postgres.yaml"
BACK_ONLINE_SECONDS = 60


def restart_command() -> list[str] | None:
    """`pg_ctlcluster <version> main restart`, or None when this machine cannot do it."""
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    if not shutil.which("pg_ctlcluster") or len(versions) != 1:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "restart"]


def wait_until_accepting(timeout: float = BACK_ONLINE_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(
                host=POSTGRES_HOST,
                port=POSTGRES_PORT,
                user=POSTGRES_USER,
                dbname=POSTGRES_ADMIN_DATABASE,
                connect_timeout=2,
            ).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database for this drill, dropped afterwards even though the server restarted."""
    with temporary_postgres_database(prefix) as url:
        try:
            yield url
        finally:
            wait_until_accepting()  # the shared fixture drops it on a fresh connection


@pytest.fixture
def restart_postgres(postgres_server_url: str) -> list[str]:
    command = restart_command()
    if command is None:
        reason = "pg_ctlcluster (one cluster under /etc/postgresql) is needed to restart PostgreSQL"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} — CI must run the restart drill", pytrace=False)
        pytest.skip(reason)
    return command


@pytest.fixture
def postgres_deployment(
    restart_postgres: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """DAGSTER_HOME on deploy/dagster.postgres.yaml and KRA_DATABASE_URL, throwaway databases."""
    with (
        throwaway_database("kra_drill_dagster") as dagster_url,
        throwaway_database("kra_drill_store") as store_url,
    ):
        home = prepare_dagster_home(tmp_path / "dagster", POSTGRES_CONFIG)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        monkeypatch.setenv("DAGSTER_PG_URL", dagster_url)  # +psycopg2, as the config says
        monkeypatch.setenv("KRA_DATABASE_URL", store_url)
        create_instance_storage(home)  # once, before several processes open the instance
        yield
        dispose_engines()


@pytest.mark.slow
def test_a_postgres_restart_mid_backfill_leaves_no_half_written_day(
    postgres_deployment: None,
    restart_postgres: list[str],
    drill_simulator: DrillSimulator,
) -> None:
    simulator = drill_simulator()
    keys = [f"{day}|{meet}" for day, meet in simulator.world.race_days("20250606", "20250608")]
    by_meet = [[key for key in keys if split(key)[1] == meet] for meet in MEETS]
    get_engine()  # migrate the race store once, before the workers race to do it
    env = {n: v for n, v in os.environ.items() if n.startswith(("KRA_", "DAGSTER_"))}

    started = time.monotonic()
    with pipeline_pool(len(MEETS)) as pool:
        pending = [pool.submit(materialize_on_instance, env, share) for share in by_meet]
        deadline = time.monotonic() + 120
        # Restart once every worker is inside a run (each has called KRA at least once).
        while simulator.stats.total_calls < len(MEETS) and not all(f.done() for f in pending):
            assert time.monotonic() < deadline, "the backfill never got going"
            time.sleep(0.05)
        assert not all(f.done() for f in pending), "the backfill ended before the restart"
        print(f"restart at {time.monotonic() - started:.1f}s")
        subprocess.run(restart_postgres, check=True, capture_output=True, timeout=60)
        wait_until_accepting()
        print(f"back at {time.monotonic() - started:.1f}s")
        outcomes = {k: v for f in pending for k, v in f.result(timeout=300).items()}

    print(f"backfill done at {time.monotonic() - started:.1f}s")
    dispose_engines()  # the test's own connections died with the server
    engine = get_engine()
    # A restart between a step's store commit and its event write fails the run with the
    # stage's rows complete and the next stage empty: clearly failed, and re-run below.
    half_written = {
        key: stages for key in keys if (stages := partial_stages(engine, simulator.world, key))
    }
    assert half_written == {}, outcomes
    with DagsterInstance.get() as instance:
        in_progress = [
            (run.run_id, run.status)
            for run in instance.get_runs()
            if run.status not in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)
        ]
        assert in_progress == []

    failed = [key for key, outcome in outcomes.items() if outcome != "success"]
    rerun = materialize_on_instance(env, failed)
    assert all(outcome == "success" for outcome in rerun.values()), rerun
    dispose_engines()
    engine = get_engine()
    assert [p for key in keys for p in race_day_problems(engine, simulator.world, key)] == []
    print(f"restart drill: {len(failed)} of {len(keys)} race days failed and were re-run:")
    for key in failed:
        print(f"  {key}: {outcomes[key]}")
