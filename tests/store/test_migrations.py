"""The schema builds itself from an empty database and matches the table definitions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import kra_api.tables  # noqa: F401 - the REST API's tables migrate with the store
from kra_pipeline.store.db import (
    ALEMBIC_INI,
    RaceStoreConnectionError,
    database_url,
    dispose_engines,
    get_engine,
)
from kra_pipeline.store.race_days import load_raw_race_day, save_raw_race_day
from kra_pipeline.store.tables import Base

REPO_ROOT = Path(__file__).resolve().parents[2]


def _head() -> str:
    return ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head() or ""


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_first_use_creates_the_schema_and_second_use_changes_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_database_url")
    engine = get_engine(url)
    assert get_engine(url) is engine
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        assert MigrationContext.configure(connection).get_current_revision() == _head()
        # The migrations and the table classes describe the same schema.
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    save_raw_race_day(engine, "20250523", 3, [{"page": 1}], api_calls=1)

    dispose_engines()  # as if a new process started: it upgrades again, harmlessly
    again = get_engine(url)
    assert again is not engine
    assert load_raw_race_day(again, "20250523", 3) == [{"page": 1}]
    dispose_engines()


def test_alembic_command_line_migrates_the_database_named_by_the_environment(
    tmp_path: Path,
) -> None:
    target = tmp_path / "by_hand.sqlite"
    env = {**os.environ, "KRA_DATABASE_URL": f"sqlite:///{target}"}
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    engine = create_engine(f"sqlite:///{target}")
    with engine.connect() as connection:
        assert "races" in inspect(connection).get_table_names()
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == _head()
    engine.dispose()


def test_default_store_is_a_sqlite_file_in_kra_home(isolated_kra_home: Path) -> None:
    assert database_url() == f"sqlite:///{isolated_kra_home / 'races.sqlite'}"


def test_bare_postgresql_url_is_pinned_to_psycopg2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRA_DATABASE_URL", "postgresql://kra:secret@db.example/races")
    assert database_url() == "postgresql+psycopg2://kra:secret@db.example/races"


def test_sqlite_store_waits_for_locks_instead_of_failing(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'races.sqlite'}")
    with engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(text("PRAGMA busy_timeout")) >= 5000
    dispose_engines()


def test_unreachable_server_is_explained_without_the_password() -> None:
    # Port 9 (discard) on loopback is closed: the connection is refused at once.
    with pytest.raises(RaceStoreConnectionError) as failure:
        get_engine("postgresql://kra:hunter2@127.0.0.1:9/races")
    message = str(failure.value)
    assert "hunter2" not in message
    where = "postgresql+psycopg2://kra:***@127.0.0.1:9/races"
    assert f"cannot connect to the race store at {where}" in message
    assert "KRA_DATABASE_URL" in message


@pytest.mark.postgres
def test_refused_login_names_the_reason(postgres_server_url: str) -> None:
    with pytest.raises(RaceStoreConnectionError, match="role no_such_kra_role does not exist"):
        get_engine("postgresql://no_such_kra_role:pw@127.0.0.1:5432/test")
