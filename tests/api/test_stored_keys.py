"""Keys issued with `kra keys`: shown once, stored hashed, refused as soon as revoked."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from kra_cli.main import main


def test_an_issued_key_works_with_its_scopes_until_revoked_without_restart(
    make_client: Callable[..., TestClient], isolated_kra_home: Path
) -> None:
    runner = CliRunner()
    issued = runner.invoke(main, ["keys", "add", "dashboard", "--scope", "read"])
    assert issued.exit_code == 0, issued.output
    key = issued.stdout.strip().splitlines()[0]
    headers = {"X-API-Key": key}
    client = make_client()
    assert client.get("/api/v2/jobs/", headers=headers).status_code == 200
    denied = client.post("/api/v2/jobs/x/cancel", headers=headers)
    assert denied.status_code == 403
    assert client.get("/api/v2/usage", headers=headers).json()["key"] == "dashboard"

    listed = runner.invoke(main, ["keys", "list"])
    assert "dashboard" in listed.stdout and "read" in listed.stdout and "active" in listed.stdout
    assert key not in listed.stdout
    with sqlite3.connect(isolated_kra_home / "races.sqlite") as db:
        stored = db.execute("SELECT * FROM api_keys").fetchall()
    assert key not in repr(stored)

    assert runner.invoke(main, ["keys", "revoke", "dashboard"]).exit_code == 0
    assert client.get("/api/v2/jobs/", headers=headers).status_code == 401
    again = runner.invoke(main, ["keys", "revoke", "dashboard"])
    assert again.exit_code != 0 and "no active key" in again.output


def test_issued_keys_let_production_start_without_valid_api_keys(
    make_client: Callable[..., TestClient],
) -> None:
    key = CliRunner().invoke(main, ["keys", "add", "ops"]).stdout.strip().splitlines()[0]
    client = make_client(VALID_API_KEYS="", ENVIRONMENT="production")
    assert client.get("/api/v2/jobs/", headers={"X-API-Key": key}).status_code == 200
