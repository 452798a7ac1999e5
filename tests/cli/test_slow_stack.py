"""The whole stack, every process slowed by the start-up delay hook, as a busy machine slows it.

The limits are shrunk so the test stays short: a stall limit of 5 s stands for the old fixed
180 s, and every child starts 12 s late (silent, a little CPU, as a starved process), so each
one alone is slower than the only limit in force. `kra demo` must still come up, say what it
waits for, and collect; `--ready-timeout 5` must end the start naming the slow process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kra_cli.readiness import REPORT_ENV, STALL_ENV
from kra_cli.slow_start import STARTUP_DELAY_ENV

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
KRA = str(Path(sys.executable).with_name("kra"))
STALL_SECONDS = 5
DELAY_SECONDS = 12


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _kra(args: list[str], delay: float, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # KRA_HOME is the test's own (tests/fixtures/environment.py)
    env |= {STARTUP_DELAY_ENV: str(delay), STALL_ENV: str(STALL_SECONDS), REPORT_ENV: "5"}
    ports = ["--api-port", str(_free_port()), "--dagster-port", str(_free_port())]
    return subprocess.run(
        [KRA, *args, *ports], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_a_stack_slower_than_the_stall_limit_comes_up_and_serves() -> None:
    done = _kra(["demo", "--exit-after"], DELAY_SECONDS, timeout=800)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "completed (100%)" in done.stdout
    reports = done.stdout.split("Still starting after")[1:]
    assert reports, done.stdout
    assert any("code-server: not listening on port" in report for report in reports)
    for child in ("dagster-webserver:", "dagster-daemon:", "rest-api:"):
        assert any(child in report for report in reports), child


def test_a_ready_timeout_ends_the_start_naming_the_slow_process() -> None:
    # The hook delays the first child by far more than the test's own timeout: only the
    # hard limit can end this start in time.
    failed = _kra(["up", "--ready-timeout", "5"], delay=600, timeout=120)

    assert failed.returncode == 1
    assert "Error: not ready after 5s (--ready-timeout / KRA_READY_TIMEOUT)" in failed.stderr
    assert "still starting: code-server (not listening on port" in failed.stderr
