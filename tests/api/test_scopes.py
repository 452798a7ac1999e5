"""Scoped keys: read-only keys read, only write keys launch, cancel and backfill."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from kra_api.settings import ConfigurationError, parse_key_entries
from tests.api.conftest import KEY_A

READER = "reader-key-000000000001"
READ_ONLY = {"X-API-Key": READER}
WRITES = [
    ("POST", "/api/v2/collection/", {"date": "20250622", "meet": 1}),
    ("POST", "/api/v2/collection/async", {"date": "20250622", "meet": 1}),
    ("POST", "/api/v2/collection/backfill", {"start_date": "20250622", "end_date": "20250622"}),
    ("POST", "/api/v2/jobs/some-id/cancel", None),
]
ACTIONS = {
    "/api/v2/collection/": "collect",
    "/api/v2/collection/async": "collect_async",
    "/api/v2/collection/backfill": "backfill",
}
READS = [
    "/api/v2/jobs/",
    "/api/v2/collection/status?date=20250622&meet=1",
    "/api/v2/races?date=20250622&meet=1",
]


@pytest.fixture
def scoped(make_client: Callable[..., TestClient]) -> TestClient:
    keys = [KEY_A, {"key": READER, "scopes": ["read"], "name": "dashboard"}]
    return make_client(VALID_API_KEYS=json.dumps(keys))


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_read_only_key_cannot_launch_cancel_or_backfill(
    scoped: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    answer = scoped.request(method, path, json=body, headers=READ_ONLY)
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Insufficient permissions", "required_scope": "write"}
    assert answer.headers["X-Required-Scope"] == "write"


@pytest.mark.parametrize("path", [path for method, path, body in WRITES if body is not None])
def test_a_read_only_key_is_refused_before_its_malformed_body_is_parsed(
    scoped: TestClient, path: str
) -> None:
    malformed = {**READ_ONLY, "Content-Type": "application/json"}
    answer = scoped.post(path, content=b'{"date": "2025', headers=malformed)
    assert answer.status_code == 403
    assert answer.json()["required_scope"] == "write"
    usage = scoped.get("/api/v2/usage", headers=READ_ONLY).json()["usage"]
    assert [(u["action"], u["status"]) for u in usage] == [(ACTIONS[path], 403)]
    # a write key sending the same bytes learns about its JSON
    written = scoped.post(
        path, content=b'{"date": "2025', headers={**malformed, "X-API-Key": KEY_A}
    )
    assert written.status_code == 422


@pytest.mark.parametrize("path", READS)
def test_a_read_only_key_reads(scoped: TestClient, path: str) -> None:
    assert scoped.get(path, headers=READ_ONLY).status_code == 200


def test_a_plain_key_still_writes(scoped: TestClient) -> None:
    answer = scoped.post("/api/v2/jobs/some-id/cancel", headers={"X-API-Key": KEY_A})
    assert answer.status_code == 404  # past the scope check: the job does not exist


def test_a_write_only_key_cannot_read(make_client: Callable[..., TestClient]) -> None:
    client = make_client(VALID_API_KEYS=json.dumps([{"key": READER, "scopes": ["write"]}]))
    answer = client.get("/api/v2/jobs/", headers=READ_ONLY)
    assert answer.status_code == 403
    assert answer.json()["required_scope"] == "read"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ('[{"key": "k", "scopes": ["admin"]}]', "scopes must be"),
        ('[{"key": "k", "scope": ["read"]}]', "unknown field"),
        ('[" padded-key "]', "spaces or tabs"),
        ('[{"key": "a", "name": "x"}, {"key": "b", "name": "x"}]', "share a name"),
        ('[{"key": "k", "rate_limit": 0}]', "positive integer"),
    ],
)
def test_a_malformed_key_entry_says_what_to_fix(raw: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        parse_key_entries(raw)


@pytest.mark.parametrize("environment", ["staging", "prod", "production", "Production "])
def test_outside_development_the_public_key_and_short_keys_are_refused(
    make_client: Callable[..., TestClient], environment: str
) -> None:
    with pytest.raises(ConfigurationError, match="public development key"):
        make_client(VALID_API_KEYS="test-api-key-123456789", ENVIRONMENT=environment)
    with pytest.raises(ConfigurationError, match="at least 16"):
        make_client(VALID_API_KEYS="short-key", ENVIRONMENT=environment)
    with pytest.raises(ConfigurationError, match="VALID_API_KEYS is not set"):
        make_client(VALID_API_KEYS="", ENVIRONMENT=environment)


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for answer in (client.get("/health"), client.get("/api/v2/jobs/")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"


def test_a_big_body_is_413_and_an_anonymous_one_401_before_it_is_read(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(API_MAX_BODY_BYTES=1000)
    big = {"date": "20250622", "meet": 1, "pad": "x" * 2000}
    answer = client.post("/api/v2/collection/async", json=big, headers={"X-API-Key": KEY_A})
    assert answer.status_code == 413
    assert "at most 1000 bytes" in answer.json()["detail"]
    streamed = client.post(
        "/api/v2/collection/async",
        content=iter([b"{" + b" " * 800, b" " * 800 + b"}"]),
        headers={"X-API-Key": KEY_A, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert client.post("/api/v2/collection/async", json=big).status_code == 401


def test_cors_is_off_unless_configured(make_client: Callable[..., TestClient]) -> None:
    preflight = {"Origin": "https://dash.example", "Access-Control-Request-Method": "GET"}
    off = make_client().options("/api/v2/jobs/", headers=preflight)
    assert "access-control-allow-origin" not in off.headers
    on = make_client(API_CORS_ORIGINS="https://dash.example")
    assert (
        on.options("/api/v2/jobs/", headers=preflight).headers["access-control-allow-origin"]
        == "https://dash.example"
    )


def test_a_key_sent_with_spaces_around_it_is_refused_with_a_hint(client: TestClient) -> None:
    answer = client.get("/api/v2/jobs/", headers={"X-API-Key": f"{KEY_A}\t"})
    assert answer.status_code == 401
    assert "spaces around it" in answer.json()["hint"]
