"""Horses, jockeys and trainers: one row per id, refreshed in place (the 7-day detail cache)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from kra_pipeline.races.models import CareerCounters, HorseDetail, JockeyDetail, TrainerDetail
from kra_pipeline.store.db import RaceStoreError, read_session, write_session
from kra_pipeline.store.tables import Base, HorseRow, JockeyRow, TrainerRow

Detail = TypeVar("Detail", bound=CareerCounters)
# Keeps every statement well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500


def upsert_horses(engine: Engine, details: Iterable[HorseDetail], fetched_at: datetime) -> int:
    """Insert or refresh horses; returns how many distinct horses were written."""
    return _upsert(engine, HorseRow, "horse_no", details, fetched_at)


def upsert_jockeys(engine: Engine, details: Iterable[JockeyDetail], fetched_at: datetime) -> int:
    """Insert or refresh jockeys; returns how many distinct jockeys were written."""
    return _upsert(engine, JockeyRow, "jockey_no", details, fetched_at)


def upsert_trainers(engine: Engine, details: Iterable[TrainerDetail], fetched_at: datetime) -> int:
    """Insert or refresh trainers; returns how many distinct trainers were written."""
    return _upsert(engine, TrainerRow, "trainer_no", details, fetched_at)


def load_horses(
    engine: Engine, ids: Iterable[str], fresher_than: datetime | None = None
) -> dict[str, HorseDetail]:
    """Stored horses by id; with `fresher_than`, ones fetched before it count as missing."""
    return _load(engine, HorseRow, "horse_no", HorseDetail, ids, fresher_than)


def load_jockeys(
    engine: Engine, ids: Iterable[str], fresher_than: datetime | None = None
) -> dict[str, JockeyDetail]:
    """Stored jockeys by id; with `fresher_than`, ones fetched before it count as missing."""
    return _load(engine, JockeyRow, "jockey_no", JockeyDetail, ids, fresher_than)


def load_trainers(
    engine: Engine, ids: Iterable[str], fresher_than: datetime | None = None
) -> dict[str, TrainerDetail]:
    """Stored trainers by id; with `fresher_than`, ones fetched before it count as missing."""
    return _load(engine, TrainerRow, "trainer_no", TrainerDetail, ids, fresher_than)


def _upsert(
    engine: Engine,
    table: type[Base],
    key: str,
    details: Iterable[CareerCounters],
    fetched_at: datetime,
) -> int:
    # The last detail of an id wins; one statement may not touch the same row twice.
    rows = {
        getattr(detail, key): {**detail.model_dump(), "fetched_at": fetched_at}
        for detail in details
    }
    if not rows:
        return 0
    dialect_insert = _dialect_insert(engine)
    with write_session(engine) as session:
        values = list(rows.values())
        for start in range(0, len(values), _CHUNK):
            statement = dialect_insert(table).values(values[start : start + _CHUNK])
            updated = {column: statement.excluded[column] for column in values[0] if column != key}
            session.execute(statement.on_conflict_do_update(index_elements=[key], set_=updated))
    return len(rows)


def _dialect_insert(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        return postgresql.insert
    if engine.dialect.name == "sqlite":
        return sqlite.insert
    raise RaceStoreError(
        f"the race store supports SQLite and PostgreSQL, not {engine.dialect.name}: "
        "change KRA_DATABASE_URL"
    )


def _load(
    engine: Engine,
    table: Any,
    key: str,
    model: type[Detail],
    ids: Iterable[str],
    fresher_than: datetime | None,
) -> dict[str, Detail]:
    wanted = sorted(set(ids))
    found: dict[str, Detail] = {}
    fields = list(model.model_fields)
    with read_session(engine) as session:
        for start in range(0, len(wanted), _CHUNK):
            query = select(table).where(getattr(table, key).in_(wanted[start : start + _CHUNK]))
            if fresher_than is not None:
                query = query.where(table.fetched_at >= fresher_than)
            for row in session.scalars(query):
                found[getattr(row, key)] = model(**{name: getattr(row, name) for name in fields})
    return found
