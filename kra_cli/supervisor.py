"""The children of `kra up`: started with their logs, restarted with backoff when they die.

Every start and restart rewrites the stack state file (kra_api.services.stack_processes), so
/health/detailed can tell a stopped or dead child within seconds.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kra_api.services.stack_processes import ChildRecord, write_stack_state

LOG_TAIL_LINES = 15
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
# A child that stayed up this long before dying starts again from the first backoff.
STABLE_SECONDS = 60.0


@dataclass
class Child:
    """One supervised process and what its supervisor remembers of it."""

    name: str
    command: list[str]
    log_file: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    failures_in_a_row: int = 0
    restart_due: float | None = None

    def log_tail(self) -> str:
        """The last lines it wrote, for a message that shows what went wrong."""
        if not self.log_file.exists():
            return "(no output)"
        lines = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(no output)"

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()


@dataclass
class Supervisor:
    """Starts children in one environment; `tend()` restarts the dead ones, saying so."""

    env: dict[str, str]
    cwd: Path
    state_file: Path
    say: Callable[[str], None]
    children: dict[str, Child] = field(default_factory=dict)

    def start(self, name: str, command: list[str], log_file: Path) -> Child:
        child = Child(name, command, log_file)
        self.children[name] = child
        self._spawn(child)
        return child

    def _spawn(self, child: Child) -> None:
        with child.log_file.open("ab") as log:
            child.process = subprocess.Popen(
                child.command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
            )
        child.started_at = time.time()
        child.restart_due = None
        self.write_state()

    def write_state(self) -> None:
        records = [
            ChildRecord(c.name, c.process.pid, c.started_at, c.restarts)
            for c in self.children.values()
            if c.process is not None
        ]
        write_stack_state(self.state_file, records)

    def dead(self) -> list[Child]:
        return [c for c in self.children.values() if c.exit_code is not None]

    def tend(self, now: float | None = None) -> None:
        """One round: schedule a restart for each child that died, start those that are due."""
        now = time.time() if now is None else now
        for child in self.dead():
            if child.restart_due is None:
                self._schedule_restart(child, now)
            elif now >= child.restart_due:
                child.restarts += 1
                self._spawn(child)
                assert child.process is not None
                self.say(
                    f"{child.name} restarted (pid {child.process.pid}, restart {child.restarts})"
                )

    def _schedule_restart(self, child: Child, now: float) -> None:
        if now - child.started_at >= STABLE_SECONDS:
            child.failures_in_a_row = 0
        delay = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**child.failures_in_a_row)
        child.failures_in_a_row += 1
        child.restart_due = now + delay
        self.say(
            f"{child.name} exited with code {child.exit_code}; restarting it in {delay:g}s. "
            f"Its last lines:\n{child.log_tail()}"
        )

    def stop(self, timeout: float = 20.0) -> None:
        """Terminate every child, the last started first; kill what does not end in time."""
        running = [c.process for c in reversed(self.children.values()) if c.process is not None]
        for process in running:
            if process.poll() is None:
                process.terminate()
        for process in running:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()
        self.state_file.unlink(missing_ok=True)
