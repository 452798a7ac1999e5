"""The shim opens Dagster's storage as it starts, and still serves when that storage is down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kra_api.app import create_app
from kra_api.gateway import DagsterGateway
from kra_api.settings import ApiSettings
from tests.api.conftest import NO_WEBSERVER

# Nothing listens on the discard port, so every connection to this "database" is refused.
UNREACHABLE_STORAGE = """\
storage:
  postgres:
    postgres_url: postgresql+psycopg2://postgres@127.0.0.1:9/dagster
"""


def test_a_shim_whose_dagster_storage_is_down_starts_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dagster.yaml").write_text(UNREACHABLE_STORAGE)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    settings = ApiSettings(VALID_API_KEYS=json.dumps(["shim-key-0000000001"]))
    app = create_app(settings, DagsterGateway(NO_WEBSERVER), configure_logs=False)
    with TestClient(app) as client:  # starts the warm-up, which cannot reach the storage
        answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "healthy"
