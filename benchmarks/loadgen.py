"""A small HTTP load generator: threads with one httpx client each, timing every request.

    python benchmarks/loadgen.py --base-url http://127.0.0.1:8000 --key KEY \
        --concurrency 4 --requests 400 /api/v2/jobs/?limit=50 ...

Runs in its own process so the client's CPU does not count against the server under test.
Paths are taken in turn; prints one JSON object: latencies in ms, errors, statuses, wall time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from collections import Counter

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--key", required=True, help="X-API-Key value")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()

    paths = itertools.cycle(args.paths)
    lock = threading.Lock()
    remaining = [args.requests]
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    def worker() -> None:
        with httpx.Client(base_url=args.base_url, headers={"X-API-Key": args.key}) as client:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                    path = next(paths)
                started = time.perf_counter()
                try:
                    status = str(client.get(path, timeout=30).status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(json.dumps({"latencies_ms": latencies, "statuses": statuses, "wall": wall}))


if __name__ == "__main__":
    main()
