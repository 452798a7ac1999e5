"""TEST HOOK: `python -m kra_cli.slow_start COMMAND...` runs COMMAND after a delay.

When KRA_STARTUP_DELAY_SECONDS is set, `kra up` starts every child through this module, so a
test can make the whole stack start slower than any fixed limit would allow. During the delay
the process behaves like one starved on a busy machine: silent, using a little CPU now and
then; then it replaces itself with COMMAND (same pid, so the supervisor still tracks it).
Not for production use.
"""

from __future__ import annotations

import os
import sys
import time

STARTUP_DELAY_ENV = "KRA_STARTUP_DELAY_SECONDS"
_BUSY_SECONDS = 0.02  # per pause: a sliver of work, as a process gets on a loaded machine
_PAUSE_SECONDS = 0.2


def startup_delay() -> float:
    """The configured delay in seconds (0 when unset)."""
    raw = os.environ.get(STARTUP_DELAY_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else 0.0
    except ValueError:
        raise SystemExit(f"{STARTUP_DELAY_ENV}={raw!r} is not a number of seconds") from None


def main() -> None:
    command = sys.argv[1:]
    if not command:
        raise SystemExit("usage: python -m kra_cli.slow_start COMMAND [ARGS...]")
    end = time.monotonic() + startup_delay()
    while time.monotonic() < end:
        busy_until = time.monotonic() + _BUSY_SECONDS
        while time.monotonic() < busy_until:
            pass
        time.sleep(_PAUSE_SECONDS)
    os.execv(command[0], command)  # noqa: S606 - the argv `kra up` built, as given


if __name__ == "__main__":
    main()
