"""A real Dagster webserver and a real headless Chromium for the UI tests.

The webserver runs as its own process on a free loopback port against a temporary
DAGSTER_HOME holding the repo's dagster.yaml, exactly as `kra up` starts it. Chromium is
Debian's package (scripts/install_browser.sh); Playwright only drives it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY_TIMEOUT_SECONDS = 120.0


def require_chromium() -> None:
    """Skip locally without Chromium; in CI a missing browser is a failure, never a skip."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: run scripts/install_browser.sh (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_dagster_home(home: Path) -> Path:
    """A DAGSTER_HOME with the repo's instance configuration, as `kra up` prepares it."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def _executable(name: str) -> str:
    """The console script of this virtual environment (what `uv run <name>` would start)."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else name


@dataclass
class Webserver:
    """A started webserver process; `wait_ready()` blocks until it answers on `url`."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(
                    f"dagster-webserver exited with code {self.process.returncode}:\n{tail}"
                )
            try:
                if httpx.get(f"{self.url}/server_info", timeout=2).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"dagster-webserver not serving {self.url} after {timeout:g}s")


@contextmanager
def dagster_webserver(env: Mapping[str, str], log_path: Path) -> Iterator[Webserver]:
    """`dagster-webserver -w workspace.yaml` on a free port, stopped when the block ends.

    Returns at once so the caller can prepare the instance while the code location loads.
    """
    port = free_port()
    command = [_executable("dagster-webserver"), "-w", "workspace.yaml"]
    command += ["-h", "127.0.0.1", "-p", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield Webserver(process, f"http://127.0.0.1:{port}", log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def dismiss_welcome_dialog(url: str) -> None:
    """Mark the webserver's first-visit community dialog as seen, so it covers nothing."""
    answer = httpx.post(f"{url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=10)
    answer.raise_for_status()


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
