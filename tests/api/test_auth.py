"""Who may call /api/v2, and that keys never leave the process in clear."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from kra_api.auth import key_fingerprint
from kra_api.settings import DEV_API_KEY, ApiSettings, ConfigurationError, parse_api_keys
from tests.api.conftest import HEADERS_A, KEY_A, KEY_B

PROTECTED = [
    ("GET", "/api/v2/jobs/"),
    ("GET", "/api/v2/jobs/some-id"),
    ("POST", "/api/v2/jobs/some-id/cancel"),
    ("GET", "/api/v2/collection/status?date=20250622&meet=1"),
    ("POST", "/api/v2/collection/"),
    ("POST", "/api/v2/collection/async"),
    ("POST", "/api/v2/collection/backfill"),
    ("GET", "/api/v2/races?date=20250622&meet=1"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_v2_route_needs_a_key(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, json={})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "API key required"}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_an_unknown_key_is_refused(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, json={}, headers={"X-API-Key": "not-a-key"})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Invalid API key"}


def test_a_listed_key_is_accepted(client: TestClient) -> None:
    assert client.get("/api/v2/jobs/", headers=HEADERS_A).status_code == 200


def test_dev_key_works_only_when_no_keys_are_configured(
    make_client: Callable[..., TestClient],
) -> None:
    dev = make_client(VALID_API_KEYS="")
    assert dev.get("/api/v2/jobs/", headers={"X-API-Key": DEV_API_KEY}).status_code == 200
    configured = make_client()
    assert configured.get("/api/v2/jobs/", headers={"X-API-Key": DEV_API_KEY}).status_code == 401


def test_production_without_keys_refuses_to_start(make_client: Callable[..., TestClient]) -> None:
    with pytest.raises(ConfigurationError, match="VALID_API_KEYS"):
        make_client(VALID_API_KEYS="", ENVIRONMENT="production")


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        ('["k1", "k2"]', ["k1", "k2"]),
        ("k1, k2,,", ["k1", "k2"]),
        ("", []),
    ],
)
def test_key_list_is_json_or_comma_separated(raw: str, keys: list[str]) -> None:
    assert parse_api_keys(raw) == keys


def test_a_broken_json_key_list_says_how_to_write_it() -> None:
    with pytest.raises(ConfigurationError, match="JSON array"):
        ApiSettings(VALID_API_KEYS='["k1", ').api_keys  # noqa: B018


def test_fingerprints_tell_keys_apart_and_hide_them() -> None:
    assert key_fingerprint(KEY_A) != key_fingerprint(KEY_B)
    assert key_fingerprint(KEY_A) == key_fingerprint(KEY_A)
    assert KEY_A not in key_fingerprint(KEY_A)


def test_raw_keys_never_reach_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/api/v2/jobs/", headers=HEADERS_A)
    client.get("/api/v2/jobs/", headers={"X-API-Key": "wrong-secret-key"})
    captured = capsys.readouterr()
    text = caplog.text + captured.out + captured.err
    assert key_fingerprint(KEY_A) in text  # the access log names the caller by fingerprint
    assert KEY_A not in text
    assert "wrong-secret-key" not in text
