"""`kra up`'s supervisor restarts a child that dies, later each time it dies again soon."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kra_api.services.stack_processes import read_stack_state
from kra_cli.supervisor import FIRST_BACKOFF_SECONDS, STABLE_SECONDS, Supervisor

DIES_AT_ONCE = [sys.executable, "-c", "print('out of luck'); raise SystemExit(3)"]


def _wait_dead(supervisor: Supervisor, name: str) -> None:
    deadline = time.monotonic() + 30
    while supervisor.children[name].exit_code is None and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_dead_child_is_restarted_with_growing_backoff_and_said_so(tmp_path: Path) -> None:
    said: list[str] = []
    state = tmp_path / "processes.json"
    supervisor = Supervisor({}, tmp_path, state, said.append)
    child = supervisor.start("worker", DIES_AT_ONCE, tmp_path / "worker.log")
    first_pid = read_stack_state(state)["worker"].pid
    try:
        _wait_dead(supervisor, "worker")
        now = time.time()
        supervisor.tend(now)
        assert "worker exited with code 3; restarting it in 1s" in said[-1]
        assert "out of luck" in said[-1]  # its last lines, so the cause shows
        supervisor.tend(now + FIRST_BACKOFF_SECONDS / 2)  # not due yet
        assert child.restarts == 0

        supervisor.tend(now + FIRST_BACKOFF_SECONDS)
        assert child.restarts == 1
        assert said[-1].startswith("worker restarted (pid ")
        record = read_stack_state(state)["worker"]
        assert (record.restarts, record.pid != first_pid) == (1, True)

        _wait_dead(supervisor, "worker")
        supervisor.tend(time.time())
        assert "restarting it in 2s" in said[-1]  # died again soon: twice the wait

        child.started_at -= STABLE_SECONDS  # as if it had run a while before dying
        supervisor.tend(time.time() + 2 * FIRST_BACKOFF_SECONDS)
        _wait_dead(supervisor, "worker")
        child.started_at -= STABLE_SECONDS
        supervisor.tend(time.time())
        assert "restarting it in 1s" in said[-1]  # a stable run resets the backoff
    finally:
        supervisor.stop()
    assert not state.exists()
