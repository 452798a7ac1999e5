"""Race store tests run against SQLite and PostgreSQL alike (`store_url` is parametrized)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.tables import Base


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A race store URL: a fresh SQLite file, or this module's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'races.sqlite'}"
    return request.getfixturevalue("postgres_database_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    """A migrated, empty race store (the PostgreSQL database is shared within a module)."""
    engine = get_engine(store_url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    yield engine
    dispose_engines()
