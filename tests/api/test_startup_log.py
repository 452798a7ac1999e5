"""The REST API as `kra up` starts it says in its log, from its first line, what it is doing
and then what a launch still waits for; its output goes to a file, as under `kra up`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
WAIT_SECONDS = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _events(log: Path) -> list[dict[str, Any]]:
    events = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def test_the_rest_api_logs_its_start_and_what_it_waits_for(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    env = dict(os.environ, DAGSTER_HOME=str(home), DAGSTER_WEBSERVER_URL="http://127.0.0.1:9")
    command = [sys.executable, "-m", "uvicorn", "kra_api.startup:create_app", "--factory"]
    command += ["--port", str(_free_port()), "--log-level", "warning"]
    log = tmp_path / "rest-api.log"
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        waiting = None
        while waiting is None and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.5)
            waiting = next((e for e in _events(log) if e.get("event") == "waiting_for"), None)
    finally:
        server.terminate()
        server.wait(timeout=30)

    events = _events(log)
    assert events, log.read_text()
    first = events[0]
    assert (first["event"], first["logger"]) == ("starting", "kra_api.startup")
    assert "importing the application" in first["doing"]
    warm_ups = [e["storage"] for e in events if e.get("event") == "warm_up"]
    assert warm_ups == ["race_store", "dagster"]
    assert waiting is not None, log.read_text()
    # Nothing listens at the webserver's URL, and no daemon runs: both are named.
    assert {"dagster_webserver", "dagster_daemon"} <= set(waiting["checks"])
