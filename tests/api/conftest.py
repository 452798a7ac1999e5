"""Fixtures of the REST shim tests: a throwaway Dagster instance and apps built around it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dagster import DagsterInstance, DagsterRunStatus, instance_for_test
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.test_utils import create_run_for_test
from fastapi.testclient import TestClient

from kra_api.app import create_app
from kra_api.auth import key_fingerprint
from kra_api.gateway import DagsterGateway
from kra_api.settings import ApiSettings
from kra_pipeline.contract import (
    race_selection_config,
)

KEY_A = "alpha-key-0000000001"
KEY_B = "bravo-key-0000000002"
HEADERS_A = {"X-API-Key": KEY_A}
HEADERS_B = {"X-API-Key": KEY_B}
# Nothing listens on the discard port: GraphQL calls fail fast as "unreachable".
NO_WEBSERVER = "http://127.0.0.1:9"

_SHIM_ENV = (
    "VALID_API_KEYS",
    "ENVIRONMENT",
    "METRICS_ENABLED",
    "DAGSTER_WEBSERVER_URL",
    "COLLECTION_SYNC_WAIT_SECONDS",
    "API_HOST",
    "API_PORT",
    "HEALTH_CACHE_SECONDS",
    "METRICS_INCLUDE_KEYS",
    "API_AUTH_FAILURE_LIMIT",
    "API_UNKNOWN_KEY_CACHE_SECONDS",
)


@pytest.fixture(autouse=True)
def _clean_shim_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SHIM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _shared_instance() -> Iterator[DagsterInstance]:
    """Creating a SQLite instance takes seconds; tests share one and wipe it instead."""
    with instance_for_test() as instance:
        yield instance


@pytest.fixture
def dagster_instance(_shared_instance: DagsterInstance) -> DagsterInstance:
    _shared_instance.wipe()
    return _shared_instance


@pytest.fixture
def gateway(dagster_instance: DagsterInstance) -> DagsterGateway:
    return DagsterGateway(NO_WEBSERVER, instance=dagster_instance)


@pytest.fixture
def make_client(gateway: DagsterGateway) -> Callable[..., TestClient]:
    """An app on the test instance; keyword arguments are settings by env name."""

    def make(**env: Any) -> TestClient:
        env.setdefault("VALID_API_KEYS", json.dumps([KEY_A, KEY_B]))
        env.setdefault("DAGSTER_WEBSERVER_URL", NO_WEBSERVER)
        # Health tests watch answers change from one request to the next: nothing shared,
        # unless a test asks for it (test_edges does).
        env.setdefault("HEALTH_CACHE_SECONDS", 0)
        settings = ApiSettings(**env)
        return TestClient(create_app(settings, gateway, configure_logs=False))

    return make


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


RunMaker = Callable[..., str]


@pytest.fixture
def add_run(dagster_instance: DagsterInstance) -> RunMaker:
    """Record a run as the shim (caller=KEY_A/KEY_B) or the UI (caller=None) would have."""

    def add(
        status: DagsterRunStatus = DagsterRunStatus.QUEUED,
        caller: str | None = KEY_A,
        job_type: str | None = "collection",
        job_name: str = "collect_races",
        partition: str = "20250622|1",
        race_numbers: list[int] | None = None,
    ) -> str:
        tags = {"dagster/partition": partition}
        if caller is not None:
            tags["kra/caller"] = key_fingerprint(caller)
        if job_type is not None:
            tags["kra/job_type"] = job_type
        origin = RemoteJobOrigin(
            RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("kra"), "__repository__"), job_name
        )
        run = create_run_for_test(
            dagster_instance,
            job_name=job_name,
            status=status,
            tags=tags,
            run_config=race_selection_config(race_numbers),
            remote_job_origin=origin,
        )
        return run.run_id

    return add
