"""The processes `kra up` supervises, as the REST shim sees them.

The supervisor rewrites a small JSON file whenever it starts or restarts a child, and passes
its path in KRA_STACK_STATE. The health routes read it and ask the kernel what each pid is
doing, so a daemon that is stopped (SIGSTOP, a debugger) or dead shows within seconds, not
after its 30-second heartbeat has aged. Outside `kra up` there is no file and nothing to say.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

STACK_STATE_ENV = "KRA_STACK_STATE"

RUNNING = "running"
STOPPED = "stopped"
ZOMBIE = "exited, not yet reaped"
GONE = "gone"
_KERNEL_STATES = {"T": STOPPED, "t": STOPPED, "Z": ZOMBIE, "X": GONE}


@dataclass(frozen=True)
class ChildRecord:
    """One supervised child: its pid, when it (re)started, and how often it was restarted."""

    name: str
    pid: int
    started_at: float
    restarts: int = 0


def write_stack_state(path: Path, children: list[ChildRecord]) -> None:
    """Replace the file in one step, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps([asdict(child) for child in children]), encoding="utf-8")
    os.replace(staging, path)


def read_stack_state(path: str | os.PathLike[str] | None = None) -> dict[str, ChildRecord]:
    """The supervised children by name; empty when not running under `kra up`."""
    location = path or os.environ.get(STACK_STATE_ENV)
    if not location:
        return {}
    try:
        entries = json.loads(Path(location).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {entry["name"]: ChildRecord(**entry) for entry in entries}


def process_state(pid: int) -> str:
    """RUNNING, STOPPED, ZOMBIE or GONE, from /proc where there is one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return GONE
    except OSError:  # no /proc (macOS): all one can tell is whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return GONE
        except PermissionError:
            pass
        return RUNNING
    # The command name in parentheses may hold spaces; the state follows the last ')'.
    code = stat.rpartition(")")[2].split()[0]
    return _KERNEL_STATES.get(code, RUNNING)
