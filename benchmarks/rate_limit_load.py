"""Bounded loopback load test of the per-key rate limit, on a shim with two uvicorn workers.

    uv run python benchmarks/rate_limit_load.py [--limit 30] [--window 10] [--seconds 25]

8 clients hammer /api/v2/usage over one key for --seconds while a ninth polls over a second key
once a second. Prints one JSON object: per key the statuses, and for the hammered key the most
admitted in any sliding window (must not exceed --limit) and the Retry-After values seen.
A 200 counts in a window only if it was both sent and answered inside it (latency-proof).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

BUSY_KEY = "loadtest-busy-key-0000000001"
QUIET_KEY = "loadtest-quiet-key-000000002"
CLIENTS = 8


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{url}/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("the shim did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=30, help="requests per window per key")
    parser.add_argument("--window", type=float, default=10.0, help="window in seconds")
    parser.add_argument("--seconds", type=float, default=25.0, help="how long to hammer")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kra_ratelimit_"))
    (home / "dagster.yaml").write_text("")
    port = _port()
    env = {
        **os.environ,
        "KRA_HOME": str(home),
        "DAGSTER_HOME": str(home),
        "VALID_API_KEYS": json.dumps([BUSY_KEY, QUIET_KEY]),
        "API_RATE_LIMIT": str(args.limit),
        "API_RATE_WINDOW_SECONDS": str(args.window),
        "DAGSTER_WEBSERVER_URL": "http://127.0.0.1:9",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("KRA_DATABASE_URL", None)
    command = [sys.executable, "-m", "uvicorn", "kra_api.app:create_app", "--factory"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "2", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, server)
        report = _hammer(url, args)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(json.dumps(report, indent=2))


def _hammer(url: str, args: argparse.Namespace) -> dict[str, object]:
    stop = time.monotonic() + args.seconds
    lock = threading.Lock()
    admitted: list[tuple[float, float]] = []  # (sent, answered) of each 200
    statuses: dict[str, Counter[int]] = {"busy": Counter(), "quiet": Counter()}
    retry_after: Counter[str] = Counter()

    def client(key: str, label: str, pause: float) -> None:
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as http:
            while time.monotonic() < stop:
                sent = time.monotonic()
                answer = http.get("/api/v2/usage")
                with lock:
                    statuses[label][answer.status_code] += 1
                    if label == "busy" and answer.status_code == 200:
                        admitted.append((sent, time.monotonic()))
                    if answer.status_code == 429:
                        retry_after[answer.headers.get("Retry-After", "missing")] += 1
                time.sleep(pause)

    threads = [threading.Thread(target=client, args=(BUSY_KEY, "busy", 0)) for _ in range(CLIENTS)]
    threads.append(threading.Thread(target=client, args=(QUIET_KEY, "quiet", 1.0)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admitted.sort()
    # A 200 sent and answered inside [start, start + window) was admitted inside it, whatever
    # the latency: so this count can never exceed the limit if the server holds it.
    most = max(
        (
            sum(
                1 for sent, answered in admitted if start <= sent and answered < start + args.window
            )
            for start, _ in admitted
        ),
        default=0,
    )
    return {
        "limit": args.limit,
        "window_seconds": args.window,
        "seconds": args.seconds,
        "busy_key_statuses": dict(statuses["busy"]),
        "busy_key_most_admitted_in_any_window": most,
        "quiet_key_statuses": dict(statuses["quiet"]),
        "retry_after_seen": dict(retry_after),
    }


if __name__ == "__main__":
    main()
