"""The README's two commands on a fresh clone while a CPU load generator keeps the machine busy.

    uv run python benchmarks/busy_first_start.py                     # 8 spinning processes
    uv run python benchmarks/busy_first_start.py --load 0            # the same on a quiet machine
    uv run python benchmarks/busy_first_start.py --pytest-args tests --markers ""  # all tests

Clones this repository's HEAD into a temporary directory, starts `--load` processes that spin
on the CPU for the whole run, then times `uv sync --frozen` (the clone has no .venv yet),
`uv run kra demo --exit-after` and `uv run pytest` on a subset of the tests (the whole suite
would take hours with the machine this busy; `--pytest-args` chooses).
Prints markdown: each command, its exit code and wall time, and the load average seen.
Never fails on a time: it prints figures (its exit code is the commands' worst).
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SPIN = "while True: pass"
DEFAULT_TESTS = "tests/cli tests/api/test_startup.py tests/api/test_first_start.py tests/kra"
DEFAULT_MARKERS = "not slow"
# A new user's shell: none of the state or keys of this one.
CLEARED = ("KRA_HOME", "DAGSTER_HOME", "KRA_DATABASE_URL", "KRA_API_KEY", "KRA_API_BASE_URL",
           "VALID_API_KEYS", "VIRTUAL_ENV", "CI")  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Timed:
    command: str
    exit_code: int
    seconds: float
    tail: str


class LoadWatch:
    """Samples the 1-minute load average every few seconds while the commands run."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(5):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Timed:
    """Run `command`, its output into `log`; wall time and the last lines."""
    began = time.monotonic()
    with log.open("wb") as out:
        code = subprocess.call(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - began
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return Timed(shlex.join(command), code, seconds, "\n".join(lines[-15:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", type=int, default=8, help="CPU-spinning processes (0: none)")
    parser.add_argument("--source", default=str(REPO_ROOT), help="repository to clone")
    parser.add_argument("--pytest-args", default=DEFAULT_TESTS, help="what `uv run pytest` runs")
    parser.add_argument("--markers", default=DEFAULT_MARKERS, help="pytest -m ('' for all)")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kra-busy-start-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "--quiet", args.source, str(clone)], check=True)
    head = subprocess.run(
        ["git", "-C", str(clone), "log", "-1", "--format=%h %s"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()[:90]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    api_port, dagster_port = free_port(), free_port()
    sync = ["uv", "sync", "--frozen"]
    demo = ["uv", "run", "kra", "demo", "--exit-after"]
    demo += ["--api-port", str(api_port), "--dagster-port", str(dagster_port)]
    tests = ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_args.split()]
    tests += ["-m", args.markers] if args.markers else []

    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(args.load)]
    load_before = os.getloadavg()[0]
    try:
        with LoadWatch() as watch:
            results = [
                run(sync, clone, env, work / "sync.log"),
                run(demo, clone, env, work / "demo.log"),
                run(tests, clone, env, work / "pytest.log"),
            ]
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()

    samples = watch.samples or [load_before]
    print(f"## The README's two commands on a fresh clone, {args.load} CPU spinners running")
    print()
    print(f"Clone of `{head}`; {os.cpu_count()} logical cores; load average (1 min) at the start")
    print(f"{load_before:.1f}, during the run {min(samples):.1f}–{max(samples):.1f}.")
    print()
    print("| command | exit code | wall time |")
    print("|---|---:|---:|")
    for result in results:
        print(f"| `{result.command}` | {result.exit_code} | {result.seconds:.0f} s |")
    for result in results:
        print(f"\nLast lines of `{result.command}`:\n\n```\n{result.tail}\n```")
    if args.keep:
        print(f"\nClone and logs kept in {work}")
    else:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    raise SystemExit(max(result.exit_code for result in results))


if __name__ == "__main__":
    main()
