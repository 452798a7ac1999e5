"""A key's name outlives its revocation: rotate it, or issue it again after revoking it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from kra_api.key_store import add_key, list_keys, revoke_key
from kra_cli.main import main
from kra_pipeline.store.db import ALEMBIC_INI, dispose_engines, get_engine


def _issue(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, ["keys", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def test_rotate_issues_a_new_key_with_the_same_scopes_and_revokes_the_old_at_once(
    make_client: Callable[..., TestClient],
) -> None:
    runner = CliRunner()
    old = _issue(runner, "add", "board", "--scope", "read", "--rate-limit", "7")
    client = make_client()
    assert client.get("/api/v2/jobs/", headers={"X-API-Key": old}).status_code == 200

    new = _issue(runner, "rotate", "board")
    assert new != old
    assert client.get("/api/v2/jobs/", headers={"X-API-Key": old}).status_code == 401
    assert client.get("/api/v2/jobs/", headers={"X-API-Key": new}).status_code == 200
    # same scopes: still read-only
    assert client.post("/api/v2/jobs/x/cancel", headers={"X-API-Key": new}).status_code == 403
    keys = list_keys(get_engine())
    assert [(k.name, k.revoked_at is None) for k in keys] == [("board", False), ("board", True)]
    assert {(k.scopes, k.rate_limit) for k in keys} == {(("read",), 7)}

    missing = runner.invoke(main, ["keys", "rotate", "nobody"])
    assert missing.exit_code != 0 and "no active key named 'nobody'" in missing.output


def test_a_revoked_name_can_be_issued_again_and_a_live_one_is_refused_truthfully(
    make_client: Callable[..., TestClient],
) -> None:
    runner = CliRunner()
    first = _issue(runner, "add", "probe")
    duplicate = runner.invoke(main, ["keys", "add", "probe"])
    assert duplicate.exit_code != 0
    assert "an active key is named 'probe'" in duplicate.output
    assert "kra keys rotate probe" in duplicate.output

    assert runner.invoke(main, ["keys", "revoke", "probe"]).exit_code == 0
    second = _issue(runner, "add", "probe")
    client = make_client()
    assert client.get("/api/v2/jobs/", headers={"X-API-Key": first}).status_code == 401
    assert client.get("/api/v2/jobs/", headers={"X-API-Key": second}).status_code == 200
    listed = runner.invoke(main, ["keys", "list"]).stdout
    assert listed.count("probe") == 2 and "active" in listed and "revoked" in listed


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_migration_keeps_issued_keys_and_frees_revoked_names(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'old.sqlite'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_database_url")
    )
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url)
    before = create_engine(url)
    with before.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
        connection.commit()
        now = datetime.now(UTC)
        connection.execute(
            text(
                "INSERT INTO api_keys (name, key_hash, fingerprint, scopes, created_at, "
                "revoked_at) VALUES ('old', :hash, 'f0', '[\"read\"]', :now, :now)"
            ),
            {"hash": "a" * 64, "now": now},
        )
        connection.commit()
    before.dispose()

    engine = get_engine(url)  # migrates to head, as a new process would
    try:
        assert [(k.name, k.revoked_at is not None) for k in list_keys(engine)] == [("old", True)]
        add_key(engine, "old", "a-new-key-for-old", "f1", ["read"])
        with pytest.raises(ValueError, match="an active key is named 'old'"):
            add_key(engine, "old", "another-key-for-old", "f2", ["read"])
        assert revoke_key(engine, "old")
        assert not revoke_key(engine, "old")
    finally:
        dispose_engines()
