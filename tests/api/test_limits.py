"""Per-key rate limits (429 with Retry-After) and usage accounting, shared between processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import HEADERS_A, HEADERS_B, KEY_A, KEY_B


def test_the_request_after_the_limit_is_429_with_a_reason_and_retry_after(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(API_RATE_LIMIT=3)
    assert [client.get("/api/v2/jobs/", headers=HEADERS_A).status_code for _ in range(3)] == [
        200
    ] * 3
    refused = client.get("/api/v2/jobs/", headers=HEADERS_A)
    assert refused.status_code == 429
    assert "3 requests per 60 s" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v2/jobs/", headers=HEADERS_B).status_code == 200  # another key
    assert client.get("/health").status_code == 200  # exempt


def test_a_key_may_have_its_own_limit_and_a_daily_limit(
    make_client: Callable[..., TestClient],
) -> None:
    keys = [{"key": KEY_A, "rate_limit": 1}, {"key": KEY_B, "daily_limit": 2}]
    client = make_client(VALID_API_KEYS=json.dumps(keys), API_RATE_LIMIT=50)
    assert client.get("/api/v2/jobs/", headers=HEADERS_A).status_code == 200
    assert client.get("/api/v2/jobs/", headers=HEADERS_A).status_code == 429
    codes = [client.get("/api/v2/jobs/", headers=HEADERS_B).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    daily = client.get("/api/v2/jobs/", headers=HEADERS_B)
    assert "daily limit of 2" in daily.json()["detail"]


def test_usage_counts_equal_the_calls_made(make_client: Callable[..., TestClient]) -> None:
    named = [{"key": KEY_A, "name": "notebook"}, KEY_B]
    client = make_client(
        VALID_API_KEYS=json.dumps(named), METRICS_ENABLED="true", METRICS_INCLUDE_KEYS="true"
    )
    for _ in range(3):
        client.get("/api/v2/jobs/", headers=HEADERS_A)
    client.get("/api/v2/jobs/missing", headers=HEADERS_A)
    client.get("/api/v2/jobs/", headers=HEADERS_B)
    usage = client.get("/api/v2/usage", headers=HEADERS_A).json()
    assert usage["key"] == "notebook"
    assert usage["total"] == 4
    assert usage["usage"] == [
        {"action": "get_job", "status": 404, "calls": 1},
        {"action": "list_jobs", "status": 200, "calls": 3},
    ]
    assert client.get("/api/v2/usage", headers=HEADERS_A).json()["total"] == 5
    scraped = client.get("/metrics").text
    assert 'kra_api_key_requests_total{action="list_jobs",key="notebook",status="200"} 3.0' in (
        scraped
    )
    assert KEY_A not in scraped and KEY_B not in scraped


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def two_shims(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two shim processes over one race store, as two workers or hosts would be."""
    home = tmp_path_factory.mktemp("shared_home")
    env = {
        **os.environ,
        "KRA_HOME": str(home),
        "DAGSTER_HOME": str(home),
        "VALID_API_KEYS": json.dumps([KEY_A]),
        "API_RATE_LIMIT": "6",
        "DAGSTER_WEBSERVER_URL": "http://127.0.0.1:9",
    }
    env.pop("KRA_DATABASE_URL", None)
    Path(home, "dagster.yaml").write_text("")
    urls, processes = [], []
    for _ in range(2):
        port = _free_port()
        command = [sys.executable, "-m", "uvicorn", "kra_api.app:create_app", "--factory"]
        processes.append(
            subprocess.Popen(
                [*command, "--port", str(port), "--log-level", "warning"],
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(f"{url}/health", timeout=2)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                        raise
                    time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.slow
def test_the_limit_is_shared_by_processes(two_shims: list[str]) -> None:
    codes = [
        httpx.get(f"{url}/api/v2/usage", headers=HEADERS_A, timeout=30).status_code
        for _ in range(5)
        for url in two_shims
    ]
    assert codes.count(200) == 6
    assert codes.count(429) == 4
    usage = httpx.get(f"{two_shims[1]}/api/v2/usage", headers=HEADERS_B, timeout=30)
    assert usage.status_code == 401  # KEY_B was not issued to these shims
