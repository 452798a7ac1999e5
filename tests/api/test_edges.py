"""Unauthenticated paths stay cheap: shared health answers, limited 401s, unknown keys
remembered, and /metrics without key names unless asked for."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from kra_api.auth import key_fingerprint
from kra_api.services.shared_answer import SharedAnswer
from kra_pipeline.store.db import get_engine
from tests.api.conftest import HEADERS_A, KEY_A

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the race store's engine runs meanwhile."""
    seen: list[str] = []
    engine = get_engine()

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.lstrip().upper())

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_thousand_readiness_probes_cost_one_store_write(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(HEALTH_CACHE_SECONDS=60)
    with statements() as seen:
        answers = {client.get("/health/ready").status_code for _ in range(1000)}
        details = {client.get("/health/detailed").status_code for _ in range(100)}
    assert answers == {503} and details == {200}  # no webserver here: not ready, degraded
    writes = [s for s in seen if s.startswith(WRITES)]
    # one probe write for /health/ready's answer, one for /health/detailed's
    assert 1 <= len(writes) <= 2, writes


def test_without_sharing_every_probe_writes(make_client: Callable[..., TestClient]) -> None:
    """The counter above sees real writes: with HEALTH_CACHE_SECONDS=0 each probe makes one."""
    client = make_client(HEALTH_CACHE_SECONDS=0)
    with statements() as seen:
        for _ in range(5):
            client.get("/health/ready")
    assert len([s for s in seen if s.startswith(WRITES)]) == 5


def test_failed_authentications_are_limited_per_address(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(API_AUTH_FAILURE_LIMIT=5, API_AUTH_FAILURE_WINDOW_SECONDS=600)
    bad = {"X-API-Key": "nobody-issued-this-key-0001"}
    assert [client.get("/api/v2/jobs/", headers=bad).status_code for _ in range(5)] == [401] * 5
    refused = client.get("/api/v2/jobs/", headers=bad)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert client.get("/api/v2/jobs/").status_code == 429  # no key at all: the same
    # a configured key from the same address is still served
    assert client.get("/api/v2/jobs/", headers=HEADERS_A).status_code == 200


def test_an_unknown_key_costs_one_look_up_while_remembered(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(API_AUTH_FAILURE_LIMIT=0)
    bad = {"X-API-Key": "nobody-issued-this-key-0002"}
    with statements() as seen:
        for _ in range(20):
            assert client.get("/api/v2/jobs/", headers=bad).status_code == 401
    look_ups = [s for s in seen if "FROM API_KEYS" in s]
    assert len(look_ups) == 1, look_ups


def test_metrics_show_no_key_names_or_fingerprints_by_default(
    make_client: Callable[..., TestClient],
) -> None:
    named = json.dumps([{"key": KEY_A, "name": "notebook"}])
    client = make_client(VALID_API_KEYS=named, METRICS_ENABLED="true")
    client.get("/api/v2/jobs/", headers=HEADERS_A)
    scraped = client.get("/metrics").text
    assert 'kra_api_key_requests_total{action="list_jobs",status="200"} 1.0' in scraped
    assert "notebook" not in scraped and key_fingerprint(KEY_A) not in scraped
    assert KEY_A not in scraped


def test_requests_arriving_during_a_computation_share_it() -> None:
    shared: SharedAnswer[int] = SharedAnswer(ttl_seconds=60)
    inside, release = threading.Event(), threading.Event()
    computations: list[int] = []

    def compute() -> int:
        computations.append(1)
        inside.set()
        release.wait(10)
        return len(computations)

    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(shared.get, compute)
        assert inside.wait(10)
        others = [pool.submit(shared.get, compute) for _ in range(5)]
        time.sleep(0.2)  # let them reach get() while the first is still computing
        release.set()
        answers = {first.result(), *(other.result() for other in others)}
    assert computations == [1] and answers == {1}
