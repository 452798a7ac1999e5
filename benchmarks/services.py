"""Long-running processes the benchmarks start on loopback: the Dagster webserver and daemon,
and the REST shim. Each inherits the benchmark's environment (temp DAGSTER_HOME, simulator)
and is stopped by its own process id when the block ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
from harness import REPO_ROOT

from kra_cli.stack import create_instance_storage
from kra_pipeline.paths import dagster_home

LOOPBACK = "127.0.0.1"
READY_TIMEOUT_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _executable(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def wait_until_ready(url: str, processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Until `url` answers 200; fails at once when one of the processes died."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {READY_TIMEOUT_SECONDS:g} s")
        time.sleep(0.5)


@contextmanager
def started(commands: Sequence[list[str]], ready_url: str) -> Iterator[list[subprocess.Popen]]:
    """Start the commands in the repo root, wait for `ready_url`, stop them all afterwards."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=REPO_ROOT,
                    env=dict(os.environ),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        wait_until_ready(ready_url, processes)
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def dagster_services() -> Iterator[int]:
    """The webserver and the daemon on the current DAGSTER_HOME; yields the webserver port."""
    create_instance_storage(dagster_home())
    port = free_port()
    workspace = str(REPO_ROOT / "workspace.yaml")
    commands = [
        [_executable("dagster-webserver"), "-w", workspace, "-h", LOOPBACK, "-p", str(port)],
        [_executable("dagster-daemon"), "run", "-w", workspace],
    ]
    with started(commands, f"http://{LOOPBACK}:{port}/server_info"):
        yield port


@contextmanager
def rest_shim(workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The REST shim under uvicorn on the current DAGSTER_HOME; yields (base URL, process)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "kra_api.app:create_app",
        "--factory",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    url = f"http://{LOOPBACK}:{port}"
    with started([command], f"{url}/health") as processes:
        yield url, processes[0]
