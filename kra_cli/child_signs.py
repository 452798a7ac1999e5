"""What can be seen of a starting child from outside: whether it listens, how much CPU its
process tree has used, and the last line of its log.

These are the signs `kra up` reads to tell a slow start (a busy machine) from a stuck one.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

LOOPBACK = "127.0.0.1"
_PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TAIL_BYTES = 8192
LINE_LIMIT = 200


def listening(port: int, host: str = LOOPBACK) -> bool:
    """Whether something accepts connections on host:port now."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name in parentheses may hold spaces; the fields after it are plain.
    return stat.rpartition(")")[2].split()


def _children() -> dict[int, list[int]]:
    """Each pid's children, from one pass over /proc."""
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU seconds of each pid with all its descendants (a code server
    imports the code in a subprocess, uvicorn workers are children); empty without /proc."""
    if not pids or not _PROC.is_dir():
        return {}
    children = _children()
    totals: dict[int, float] = {}
    for pid in pids:
        ticks = 0
        pending = [pid]
        while pending:
            current = pending.pop()
            fields = _stat_fields(current)
            if fields is not None:
                # After the name: state is field 0, utime 11 and stime 12 (man 5 proc).
                ticks += int(fields[11]) + int(fields[12])
            pending.extend(children.get(current, []))
        totals[pid] = ticks / _TICKS_PER_SECOND
    return totals


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def last_log_line(path: Path) -> str:
    """The last non-empty line of a log, without colour codes, shortened for one screen line."""
    try:
        with path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - _TAIL_BYTES))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log yet)"
    lines = [_ANSI.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "(nothing logged yet)"
    line = lines[-1]
    return line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + "…"
