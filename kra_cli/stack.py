"""`kra up` and `kra demo`: the Dagster webserver, the daemon and the REST shim on one
DAGSTER_HOME, plus the offline KRA simulator when no KRA_API_KEY is configured."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import click
import httpx

from kra_api.settings import DEV_API_KEY, MULTIPROCESS_DIR_ENV, ApiSettings
from kra_pipeline.contract import DATE_FORMAT
from kra_pipeline.paths import dagster_home, kra_home

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
READY_TIMEOUT_SECONDS = 180.0
LOG_TAIL_LINES = 15


def _executable(name: str) -> str:
    """A console script of this environment (next to the interpreter), else from PATH."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise click.ClickException(f"{name} is not installed; run `uv sync` in {REPO_ROOT}")
    return found


def prepare_dagster_home() -> Path:
    """DAGSTER_HOME with the repo's dagster.yaml copied in when it has none yet, and with
    Dagster's storage created."""
    home = dagster_home()
    target = home / "dagster.yaml"
    source = REPO_ROOT / "dagster.yaml"
    if not target.exists() and source.exists():
        shutil.copyfile(source, target)
    create_instance_storage(home)
    return home


def create_instance_storage(home: Path) -> None:
    """Create Dagster's tables once, before any child starts.

    On a new home the webserver, the daemon and each API worker would all create them at the
    same moment; on SQLite all but one can die of it, or leave Alembic with two heads.
    """
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)):
        pass


@dataclass
class Stack:
    """The processes of one local deployment; `stop()` ends every one it started."""

    api_port: int = 8000
    dagster_port: int = 3000
    api_workers: int = 1
    metrics_dir: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_files: dict[str, Path] = field(default_factory=dict)
    simulator: Any = None

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    @property
    def dagster_url(self) -> str:
        return f"http://{LOOPBACK}:{self.dagster_port}"

    def environment(self, home: Path) -> dict[str, str]:
        env = dict(os.environ)
        env |= {
            "DAGSTER_HOME": str(home),
            "DAGSTER_WEBSERVER_URL": self.dagster_url,
            "API_HOST": LOOPBACK,
            "API_PORT": str(self.api_port),
        }
        if not env.get("KRA_API_KEY"):
            from kra_simulator import (
                SIMULATOR_API_KEY,
                SimulatorConfig,
                SimulatorServer,
            )

            self.simulator = SimulatorServer(SimulatorConfig(host=LOOPBACK, port=0)).start()
            env |= {"KRA_API_BASE_URL": self.simulator.base_url, "KRA_API_KEY": SIMULATOR_API_KEY}
            click.echo(
                f"KRA_API_KEY is not set: using the offline KRA simulator at "
                f"{self.simulator.base_url} (set KRA_API_KEY to collect real data)"
            )
        return env

    def start(self) -> None:
        home = prepare_dagster_home()
        env = self.environment(home)
        workspace = str(REPO_ROOT / "workspace.yaml")
        commands = {
            "dagster-webserver": [
                _executable("dagster-webserver"), "-w", workspace,
                "-h", LOOPBACK, "-p", str(self.dagster_port),
            ],
            "dagster-daemon": [_executable("dagster-daemon"), "run", "-w", workspace],
            "rest-api": [
                sys.executable, "-m", "uvicorn", "kra_api.app:create_app", "--factory",
                "--host", LOOPBACK, "--port", str(self.api_port), "--log-level", "warning",
            ],
        }  # fmt: skip
        if self.api_workers > 1:
            commands["rest-api"] += ["--workers", str(self.api_workers)]
            self.metrics_dir = fresh_metrics_dir()
            env[MULTIPROCESS_DIR_ENV] = str(self.metrics_dir)
        logs = kra_home() / "logs"
        logs.mkdir(exist_ok=True)
        click.echo(f"DAGSTER_HOME={home}")
        click.echo(f"Logs of each process: {logs}/<name>.log")
        for name, command in commands.items():
            self.log_files[name] = logs / f"{name}.log"
            with self.log_files[name].open("ab") as log:
                self.processes[name] = subprocess.Popen(
                    command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
                )
        click.echo("Starting the Dagster webserver, the daemon and the REST API...")
        self.wait_ready()
        click.echo(f"Dagster UI:  {self.dagster_url}")
        click.echo(f"REST API:    {self.api_url}/docs")

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Until the webserver and the API answer; a child that dies is reported by name."""
        deadline = time.monotonic() + timeout
        pending = {"dagster-webserver": f"{self.dagster_url}/server_info",
                   "rest-api": f"{self.api_url}/health"}  # fmt: skip
        while pending:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise click.ClickException(self.exit_report(name))
            for name, url in list(pending.items()):
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise click.ClickException(f"{', '.join(pending)} not ready after {timeout:g}s")
            time.sleep(0.5)

    def exit_report(self, name: str) -> str:
        """Why a child died, with its last lines; a taken port gets the option that moves it."""
        tail = self.log_tail(name)
        hint = ""
        if "address already in use" in tail.lower():
            hint = " because its port is taken; choose another with --api-port/--dagster-port"
        code = self.processes[name].returncode
        return f"{name} exited with code {code}{hint}. Its last lines:\n{tail}"

    def log_tail(self, name: str) -> str:
        """The last lines a child wrote, for an error message that shows what went wrong."""
        path = self.log_files.get(name)
        if path is None or not path.exists():
            return "(no output)"
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(no output)"

    def stop(self) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None

    def serve_forever(self) -> None:
        """Until Ctrl-C or SIGTERM, or until one of the children dies."""
        while all(p.poll() is None for p in self.processes.values()):
            time.sleep(1)
        dead = [name for name, p in self.processes.items() if p.poll() is not None]
        tails = "\n".join(f"--- {name} ---\n{self.log_tail(name)}" for name in dead)
        raise click.ClickException(f"{', '.join(dead)} stopped; shutting the stack down\n{tails}")


def fresh_metrics_dir() -> Path:
    """An empty directory for the API workers' shared metric files (old counts would add up)."""
    path = kra_home() / "metrics"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_stack(stack: Stack, then: Any = None, serve: bool = True) -> None:
    """Start, run `then(stack)`, serve, and always stop every child."""
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        stack.start()
        if then is not None:
            then(stack)
        if serve:
            click.echo("Serving; press Ctrl-C to stop.")
            stack.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopping...")
    finally:
        stack.stop()


port_options = [
    click.option("--api-port", default=8000, show_default=True, help="Port of the REST API."),
    click.option("--dagster-port", default=3000, show_default=True, help="Port of the Dagster UI."),
]


def _with_ports(command: Any) -> Any:
    for option in reversed(port_options):
        command = option(command)
    return command


@click.command("up")
@_with_ports
@click.option(
    "--api-workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="REST API worker processes (one per core serves more concurrent clients).",
)
def up_command(api_port: int, dagster_port: int, api_workers: int) -> None:
    """Start the Dagster webserver, daemon and REST API on loopback until Ctrl-C."""
    run_stack(Stack(api_port=api_port, dagster_port=dagster_port, api_workers=api_workers))


def recent_seoul_race_day(stack: Stack) -> str:
    """The latest finished Seoul race day: from the simulator's calendar, else last Sunday."""
    yesterday = date.today() - timedelta(days=1)
    if stack.simulator is not None:
        world = stack.simulator.world
        start = (yesterday - timedelta(days=21)).strftime(DATE_FORMAT)
        days = [
            d for d, meet in world.race_days(start, yesterday.strftime(DATE_FORMAT)) if meet == 1
        ]
        if days:
            return days[-1]
    return (yesterday - timedelta(days=(yesterday.weekday() + 1) % 7)).strftime(DATE_FORMAT)


def demo_collection(stack: Stack, timeout: float = 600.0) -> dict[str, Any]:
    """One collection through the REST API, reported as it goes; returns the final status."""
    settings = ApiSettings()
    api_key = settings.api_keys[0]
    headers = {"X-API-Key": api_key}
    race_date = recent_seoul_race_day(stack)
    client = httpx.Client(base_url=stack.api_url, headers=headers, timeout=30)
    body = {"date": race_date, "meet": 1, "options": {"enrich": True}}
    accepted = client.post("/api/v2/collection/async", json=body)
    if accepted.status_code != 202:
        raise click.ClickException(f"the API refused the demo collection: {accepted.text}")
    job_id = accepted.json()["job_id"]
    click.echo(f"Collecting Seoul {race_date}: job {job_id}")
    click.echo(f"  watch it in the UI: {stack.dagster_url}/runs/{job_id}")
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/v2/jobs/{job_id}").json()
        if job.get("status") in ("completed", "failed", "cancelled"):
            break
        time.sleep(2)
    click.echo(f"Job {job_id}: {job.get('status')} ({job.get('progress')}%)")
    if job.get("error_message"):
        click.echo(f"  error: {job['error_message']}")
    status = client.get("/api/v2/collection/status", params={"date": race_date, "meet": 1}).json()
    click.echo(
        f"Race day {race_date} meet 1: {status.get('collected_races')}/{status.get('total_races')}"
        f" races collected, {status.get('enriched_races')} enriched ({status.get('status')})"
    )
    # The development key is public; a configured key is the user's secret and is not printed.
    shown_key = api_key if api_key == DEV_API_KEY else "<one of VALID_API_KEYS>"
    click.echo(f"  assets: {stack.dagster_url}/assets/collected_race_day")
    click.echo(
        f"  races:  curl -H 'X-API-Key: {shown_key}' "
        f"'{stack.api_url}/api/v2/races?date={race_date}&meet=1'"
    )
    from kra_pipeline.store.db import database_url, masked_url

    click.echo(f"  store:  {masked_url(database_url())}")
    return {"job": job, "status": status}


@click.command("demo")
@_with_ports
@click.option("--exit-after", is_flag=True, help="Stop the stack after the demo collection.")
def demo_command(api_port: int, dagster_port: int, exit_after: bool) -> None:
    """`kra up`, then one collection through the REST API; keeps serving until Ctrl-C."""
    outcome: dict[str, Any] = {}

    def then(stack: Stack) -> None:
        outcome.update(demo_collection(stack))

    run_stack(Stack(api_port=api_port, dagster_port=dagster_port), then, serve=not exit_after)
    if exit_after and outcome.get("job", {}).get("status") != "completed":
        raise click.ClickException("the demo collection did not complete; see the messages above")
