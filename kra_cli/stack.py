"""`kra up` and `kra demo`: the Dagster webserver, the daemon and the REST shim on one
DAGSTER_HOME, plus the offline KRA simulator when no KRA_API_KEY is configured."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import click

from kra_api.services.stack_processes import STACK_STATE_ENV
from kra_api.settings import MULTIPROCESS_DIR_ENV
from kra_cli.child_signs import LOOPBACK
from kra_cli.readiness import (
    READY_TIMEOUT_ENV,
    Awaited,
    ReadySettings,
    StartupWait,
    ready_settings,
)
from kra_cli.ready_probe import ReadyProbe
from kra_cli.slow_start import startup_delay
from kra_cli.supervisor import Supervisor
from kra_pipeline.contract import CODE_LOCATION
from kra_pipeline.paths import dagster_home, kra_home

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS_MODULE = "kra_pipeline.definitions"
CODE_SERVER = "code-server"
WEBSERVER = "dagster-webserver"
REST_API = "rest-api"
GRPC_TIMEOUT_ENV = "DAGSTER_GRPC_TIMEOUT_SECONDS"  # Dagster's own setting
GRPC_TIMEOUT_SECONDS = 600


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


GRPC_WORKSPACE = """# Written by `kra up`: the webserver and the daemon load the code location from
# the one code server it started, so neither re-imports the code itself.
load_from:
  - grpc_server:
      host: {host}
      port: {port}
      location_name: {location}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """The processes of one local deployment; `stop()` ends every one it started."""

    api_port: int = 8000
    dagster_port: int = 3000
    api_workers: int = 1
    code_port: int = 0  # 0: a free port
    guard_webserver: bool = True
    metrics_dir: Path | None = None
    supervisor: Supervisor | None = None
    simulator: Any = None
    ready: ReadySettings | None = None  # None: from the environment

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
            STACK_STATE_ENV: str(kra_home() / "stack" / "processes.json"),
            # Their stdout is the log file: each line there at once, not when a buffer fills.
            "PYTHONUNBUFFERED": "1",
        }
        # The daemon's "start a run" waits for the run worker to import the code: Dagster's
        # 60 s limit failed the demo's run on a busy machine (load 20, two cores).
        env.setdefault(GRPC_TIMEOUT_ENV, str(GRPC_TIMEOUT_SECONDS))
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

    def grpc_workspace(self) -> Path:
        """The workspace file that points the webserver and the daemon at the code server."""
        path = kra_home() / "stack" / "workspace.grpc.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = GRPC_WORKSPACE.format(host=LOOPBACK, port=self.code_port, location=CODE_LOCATION)
        path.write_text(text, encoding="utf-8")
        return path

    def webserver_program(self) -> list[str]:
        """dagster-webserver, behind the cross-site guard unless the operator turned it off."""
        if self.guard_webserver:
            return [sys.executable, "-m", "kra_cli.guarded_webserver"]
        return [_executable("dagster-webserver")]

    def commands(self) -> dict[str, list[str]]:
        from kra_api.services.health_checks import DAEMON  # /health/detailed names it so

        workspace = str(self.grpc_workspace())
        commands = {
            CODE_SERVER: [
                _executable("dagster"), "code-server", "start", "-m", DEFINITIONS_MODULE,
                "-h", LOOPBACK, "-p", str(self.code_port),
            ],
            WEBSERVER: [
                *self.webserver_program(), "-w", workspace,
                "-h", LOOPBACK, "-p", str(self.dagster_port),
            ],
            DAEMON: [_executable("dagster-daemon"), "run", "-w", workspace],
            REST_API: [
                sys.executable, "-m", "uvicorn", "kra_api.startup:create_app", "--factory",
                "--host", LOOPBACK, "--port", str(self.api_port), "--log-level", "warning",
            ],
        }  # fmt: skip
        if self.api_workers > 1:
            commands[REST_API] += ["--workers", str(self.api_workers)]
        if startup_delay():  # the test hook: every child starts late (see kra_cli.slow_start)
            slow = [sys.executable, "-m", "kra_cli.slow_start"]
            commands = {name: [*slow, *command] for name, command in commands.items()}
        return commands

    def start(self) -> None:
        home = prepare_dagster_home()
        env = self.environment(home)
        self.code_port = self.code_port or free_port()
        if self.api_workers > 1:
            self.metrics_dir = fresh_metrics_dir()
            env[MULTIPROCESS_DIR_ENV] = str(self.metrics_dir)
        logs = kra_home() / "logs"
        logs.mkdir(exist_ok=True)
        click.echo(f"DAGSTER_HOME={home}")
        click.echo(f"Logs of each process: {logs}/<name>.log")
        self.supervisor = Supervisor(env, REPO_ROOT, Path(env[STACK_STATE_ENV]), click.echo)
        click.echo(
            "Starting the code server, the Dagster webserver, the daemon and the REST API..."
        )
        wait = StartupWait(self.supervisor, self.ready or ready_settings(), click.echo)
        for name, command in self.commands().items():
            self.supervisor.start(name, command, logs / f"{name}.log")
            if name == CODE_SERVER:  # the others would log "could not reach" until it listens
                wait.until([Awaited(CODE_SERVER, port=self.code_port)])
        self.wait_ready(wait)
        click.echo(f"Dagster UI:  {self.dagster_url}")
        click.echo(f"REST API:    {self.api_url}/docs")

    def wait_ready(self, wait: StartupWait) -> None:
        """Until the REST API says ready: the webserver has loaded the code from the code
        server, the daemon beats and the store takes writes (see kra_cli.readiness)."""
        from kra_api.services.health_checks import DAEMON, DAEMON_CHECK, WEBSERVER_CHECK

        awaited = [
            Awaited(CODE_SERVER, port=self.code_port),
            Awaited(WEBSERVER, port=self.dagster_port, check=WEBSERVER_CHECK),
            Awaited(DAEMON, check=DAEMON_CHECK),
            Awaited(REST_API, port=self.api_port, decides=True),
        ]
        wait.until(awaited, ReadyProbe(f"{self.api_url}/health/ready"))

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None

    def serve_forever(self, until: threading.Event | None = None, tick: float = 1.0) -> None:
        """Until Ctrl-C, SIGTERM or `until` is set; a child that dies is restarted with
        backoff, and said so."""
        stopping = until or threading.Event()
        while not stopping.is_set():
            assert self.supervisor is not None
            self.supervisor.tend()
            stopping.wait(tick)


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
    click.option(
        "--code-port",
        default=0,
        help="Port of the gRPC code server the webserver and daemon share (default: a free one).",
    ),
]


ready_timeout_option = click.option(
    "--ready-timeout",
    type=click.FloatRange(0, min_open=True),
    default=None,
    metavar="SECONDS",
    help=f"Give up if the stack is not ready after this long (also {READY_TIMEOUT_ENV}). "
    "Default: no hard limit; wait while the processes make progress.",
)


def with_stack_options(command: Any) -> Any:
    for option in reversed([*port_options, ready_timeout_option]):
        command = option(command)
    return command


@click.command("up")
@with_stack_options
@click.option(
    "--api-workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="REST API worker processes (one per core serves more concurrent clients).",
)
@click.option(
    "--unguarded-webserver",
    is_flag=True,
    help="Serve the Dagster UI without the guard against cross-site requests (not advised).",
)
def up_command(
    api_port: int,
    dagster_port: int,
    code_port: int,
    ready_timeout: float | None,
    api_workers: int,
    unguarded_webserver: bool,
) -> None:
    """Start the code server, the Dagster webserver and daemon, and the REST API on loopback;
    restart any that dies, until Ctrl-C."""
    stack = Stack(api_port, dagster_port, api_workers=api_workers, code_port=code_port)
    stack.ready = ready_settings(ready_timeout)
    stack.guard_webserver = not unguarded_webserver
    run_stack(stack)
