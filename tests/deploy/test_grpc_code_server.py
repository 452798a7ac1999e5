"""The scale-out layout of deploy/, run for real: a code server over gRPC, a webserver and a
daemon that only talk to it, and every piece of shared state on PostgreSQL.

The webserver and daemon get no KRA_* settings at all: a run succeeds only if it executes
with the code server's environment (KRA key, race store, limiter), as deploy/README.md says.
Every KRA call of the run must have passed through the limiter's PostgreSQL table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from dagster import DagsterInstance, DagsterRunStatus

from kra_api.gateway import DagsterGateway
from kra_api.gateway.launches import GatewayUnavailable, LaunchRejected
from kra_cli.stack import create_instance_storage
from kra_pipeline.contract import (
    COLLECT_WITH_ENRICHMENT_JOB,
)
from kra_pipeline.kra import limiter
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer
from tests.drills.race_days import TODAY, race_day_problems
from tests.fixtures.dagster_webserver import REPO_ROOT, free_port, prepare_dagster_home
from tests.fixtures.postgres import temporary_postgres_database
from tests.fixtures.simulator import StartSimulator

DEPLOY = REPO_ROOT / "deploy"
READY_TIMEOUT_SECONDS = 120.0
RUN_TIMEOUT_SECONDS = 240.0
# pyrate-limiter's PostgreSQL bucket prefixes the limiter's table name (kra_pipeline.kra.limiter).
LIMITER_TABLE = f"ratelimit___{limiter.TABLE}"
TERMINAL = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def _console_script(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _without_kra_settings(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if not name.startswith("KRA_")}


def _workspace_on_port(tmp_path: Path, port: int) -> Path:
    """deploy/workspace.grpc.yaml as shipped, with the code server's port set to `port`."""
    workspace = yaml.safe_load((DEPLOY / "workspace.grpc.yaml").read_text())
    [location] = workspace["load_from"]
    location["grpc_server"]["port"] = port
    path = tmp_path / "workspace.grpc.yaml"
    path.write_text(yaml.safe_dump(workspace))
    return path


@contextmanager
def _process(command: list[str], env: Mapping[str, str], log: Path) -> Iterator[Path]:
    """`command` in the background, its output in `log`; terminated when the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield log
        finally:
            process.terminate()
            try:
                process.wait(timeout=70)  # the code server lets open calls finish (up to 60 s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_code_server(port: int, log: Path, env: Mapping[str, str]) -> None:
    check = [_console_script("dagster"), "api", "grpc-health-check", "-h", "127.0.0.1"]
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [*check, "-p", str(port)], env=dict(env), capture_output=True, timeout=60
        )
        if probe.returncode == 0:
            return
        time.sleep(1)
    raise AssertionError(f"code server not serving on {port}:\n{log.read_text()[-3000:]}")


def _wait_for_run(instance: DagsterInstance, run_id: str) -> DagsterRunStatus:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status in TERMINAL:
            return run.status
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish within {RUN_TIMEOUT_SECONDS:g}s")


def _launch_when_loaded(gateway: DagsterGateway, partition_key: str) -> str:
    """Launch once the webserver listens and has loaded the location from the code server
    (until then it is unreachable, or refuses a job it does not know yet)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        try:
            return gateway.launch_run(COLLECT_WITH_ENRICHMENT_JOB, partition_key, {}, {})
        except (GatewayUnavailable, LaunchRejected):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_run_through_the_grpc_code_server_collects_a_race_day_on_postgres(
    postgres_server_url: str,
    start_kra_simulator: StartSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    simulator: SimulatorServer = start_kra_simulator(today=TODAY)
    race_date, meet = simulator.world.race_days("20250606", "20250608")[0]
    partition_key = f"{race_date}|{meet}"
    with ExitStack() as stack:
        dagster_url = stack.enter_context(temporary_postgres_database("kra_grpc_dagster"))
        store_url = stack.enter_context(temporary_postgres_database("kra_grpc_store"))
        stack.callback(dispose_engines)  # before the databases are dropped, pass or fail
        home = prepare_dagster_home(tmp_path / "dagster", DEPLOY / "dagster.postgres.yaml")
        dagster_env = {"DAGSTER_HOME": str(home), "DAGSTER_PG_URL": dagster_url}
        base = {**_without_kra_settings(os.environ), **dagster_env}
        code_server_env = {
            **base,
            "KRA_HOME": str(tmp_path / "kra"),
            "KRA_API_BASE_URL": simulator.base_url,
            "KRA_API_KEY": SIMULATOR_API_KEY,
            "KRA_DATABASE_URL": store_url,
            # Compared with the simulator's API214_1 answer field by field: ask per day.
            "KRA_HISTORY_SOURCE": "day",
            "KRA_LIMITER_URL": store_url,
            # A window longer than the test: no limiter entry expires, so all can be counted.
            "KRA_RATE_LIMIT_PER_MINUTE": "1000",
            "KRA_RATE_LIMIT_WINDOW_SECONDS": "3600",
        }
        for name, value in dagster_env.items():
            monkeypatch.setenv(name, value)
        create_instance_storage(home)  # once, before several processes open the instance

        port = free_port()
        workspace = _workspace_on_port(tmp_path, port)
        code_server = [_console_script("dagster"), "code-server", "start"]
        code_server += ["-m", "kra_pipeline.definitions", "-h", "127.0.0.1", "-p", str(port)]
        log = stack.enter_context(_process(code_server, code_server_env, tmp_path / "grpc.log"))
        _wait_for_code_server(port, log, base)

        validate = subprocess.run(
            [_console_script("dagster"), "definitions", "validate", "-w", str(workspace)],
            cwd=REPO_ROOT,
            env=base,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert validate.returncode == 0, validate.stdout + validate.stderr

        web_port = free_port()
        webserver = [_console_script("dagster-webserver"), "-w", str(workspace)]
        webserver += ["-h", "127.0.0.1", "-p", str(web_port)]
        stack.enter_context(_process(webserver, base, tmp_path / "webserver.log"))
        daemon = [_console_script("dagster-daemon"), "run", "-w", str(workspace)]
        stack.enter_context(_process(daemon, base, tmp_path / "daemon.log"))

        gateway = DagsterGateway(f"http://127.0.0.1:{web_port}")
        run_id = _launch_when_loaded(gateway, partition_key)
        with DagsterInstance.get() as instance:
            status = _wait_for_run(instance, run_id)
        daemon_log = (tmp_path / "daemon.log").read_text(errors="replace")[-3000:]
        assert status == DagsterRunStatus.SUCCESS, daemon_log

        engine = get_engine(store_url)
        assert race_day_problems(engine, simulator.world, partition_key) == []
        with engine.connect() as connection:
            limited = connection.execute(sa.text(f"SELECT count(*) FROM {LIMITER_TABLE}")).scalar()
        assert simulator.stats.total_calls > 0
        assert limited == simulator.stats.total_calls
