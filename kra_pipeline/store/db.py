"""Connecting to the race store: URL, engine cache, SQLite tuning and automatic migrations.

The schema is kept by Alembic. `get_engine()` brings the database to `head` the first time a
process asks for it, so nobody has to remember a setup step. To migrate by hand instead::

    KRA_DATABASE_URL=postgresql://kra@db-host/kra \\
        uv run alembic -c kra_pipeline/store/alembic.ini upgrade head

(without KRA_DATABASE_URL the command migrates the default SQLite file `<KRA_HOME>/races.sqlite`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import ExceptionContext
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from kra_pipeline.paths import kra_home

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
SQLITE_BUSY_TIMEOUT_MS = 60_000
# Writers set this execution option so SQLite takes the write lock at BEGIN (see _tune_sqlite).
_WRITE_OPTION = "kra_write"

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
# Alembic keeps the running migration's context in module globals (`alembic.context`,
# `alembic.op`), so two migrations in one process (ours, or Dagster stamping a new SQLite
# storage) must never overlap: they would run against each other's connection. Whoever runs
# Alembic in a process takes this lock; it is re-entrant so a holder may open the store.
SCHEMA_LOCK = threading.RLock()


class RaceStoreError(RuntimeError):
    """The race store cannot be used as configured."""


class RaceStoreConnectionError(RaceStoreError):
    """The database behind KRA_DATABASE_URL cannot be reached or refuses us."""


def database_url() -> str:
    """KRA_DATABASE_URL, or the SQLite file `<KRA_HOME>/races.sqlite`; driver made explicit."""
    configured = os.environ.get("KRA_DATABASE_URL", "").strip()
    if not configured:
        return f"sqlite:///{kra_home() / 'races.sqlite'}"
    return normalise_database_url(configured)


def normalise_database_url(url: str) -> str:
    """Pin psycopg2 for bare PostgreSQL URLs (SQLAlchemy 2.1 would otherwise pick psycopg 3)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise RaceStoreError(
            f"KRA_DATABASE_URL is not a database URL ({exc}); use e.g. "
            "postgresql://user@host/db or sqlite:////path/races.sqlite"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


def masked_url(url: str | URL) -> str:
    """The URL with its password replaced, safe for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", str(url))


# Store faults that no retry mends: a read-only file, mount or replica, or a full disk stays so
# until someone acts. Matched in the driver's message (SQLite and PostgreSQL spell them so).
_PERMANENT_FAULTS = (
    "readonly database",
    "read-only",
    "database or disk is full",
    "no space left on device",
    "could not extend file",
    "permission denied",
)


def permanent_store_fault(error: BaseException) -> str | None:
    """The driver's one-line reason when `error` is a store fault no retry can mend."""
    if not isinstance(error, DBAPIError):
        return None
    reason = str(error.orig if error.orig is not None else error).strip().splitlines()[0]
    return reason if any(fault in reason.lower() for fault in _PERMANENT_FAULTS) else None


def probe_write(engine: Engine) -> None:
    """Commit a write that changes nothing, so a read-only or full store shows before a run
    meets it: Alembic's version row set to itself (every migrated store has one)."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default `database_url()`), migrated to head once."""
    resolved = normalise_database_url(url) if url else database_url()
    with _engines_lock:
        engine = _engines.get(resolved)
        if engine is None:
            engine = _create_engine(resolved)
            try:
                upgrade_to_head(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[resolved] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, and servers shutting down)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back on any error."""
    with Session(engine.execution_options(**{_WRITE_OPTION: True})) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only session: one consistent snapshot for the whole block."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def upgrade_to_head(engine: Engine) -> None:
    """`alembic upgrade head`, serialised between processes (file lock / advisory lock)."""
    # Imported here: Alembic costs seconds at import, and every Dagster step process imports
    # this module while only the first connection per process migrates.
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config(str(ALEMBIC_INI))
    head = ScriptDirectory.from_config(config).get_current_head()
    with SCHEMA_LOCK, migration_connection(engine) as connection:
        # Reading the version row needs no environment script: a store already at head (every
        # process but the first) never enters Alembic's global context at all.
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def create_store_engine(url: str | None = None) -> Engine:
    """A new, uncached and unmigrated engine (for the Alembic command line)."""
    return _create_engine(normalise_database_url(url) if url else database_url())


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that only one process at a time can hold."""
    if engine.dialect.name == "sqlite":
        with _sqlite_migration_lock(engine), engine.begin() as connection:
            yield connection
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Held until this transaction commits; PostgreSQL DDL is transactional.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        yield connection


def sqlite_file(url: URL) -> str | None:
    """The file of a SQLite URL, None in memory; `file:` URI names (`?uri=true`, e.g. with
    `mode=ro` for a read-only copy) lose their scheme and query."""
    database = url.database
    if not database or database == ":memory:":
        return None
    if url.query.get("uri") == "true" and database.startswith("file:"):
        return database.removeprefix("file:").split("?", 1)[0]
    return database


def _advisory_key(name: str) -> int:
    """A stable 63-bit PostgreSQL advisory-lock key for a lock name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8]) >> 1


# Every process of this project contends for the same migration lock.
_LOCK_KEY = _advisory_key("kra_pipeline.store migrations")


@contextmanager
def exclusive(engine: Engine, name: str, timeout_seconds: float = 30.0) -> Iterator[None]:
    """Held by one process at a time among all that share this race store.

    SQLite: a lock file beside the database (one machine). PostgreSQL: a session advisory
    lock, so processes on different machines exclude each other too.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = {"key": _advisory_key(name)}
            connection.execute(text(f"SET lock_timeout = '{int(timeout_seconds * 1000)}ms'"))
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                connection.commit()
        return
    database = sqlite_file(engine.url)
    if database is None:
        yield
        return
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    with FileLock(f"{database}.{digest}.lock", timeout=timeout_seconds):
        yield


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    database = sqlite_file(engine.url)
    if database is None:
        yield
        return
    with FileLock(f"{database}.migrate.lock", timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        yield


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    options: dict[str, Any] = {
        "json_serializer": lambda value: json.dumps(value, ensure_ascii=False),
    }
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_file(parsed)
        if database is None:
            options |= {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **options)
        _tune_sqlite(engine)
    else:
        engine = create_engine(parsed, pool_pre_ping=True, **options)
    event.listen(engine, "handle_error", _explain_connection_failure)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    """WAL + busy timeout so race-day partitions in separate processes wait instead of failing.

    SQLAlchemy takes over BEGIN from the sqlite3 driver; writers say BEGIN IMMEDIATE so they
    queue for the write lock up front instead of failing when a read lock cannot be upgraded.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if sqlite_file(engine.url) is not None:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _explain_connection_failure(context: ExceptionContext) -> None:
    """Turn a driver's connect failure into one plain sentence naming the (masked) URL."""
    if context.connection is not None or not isinstance(context.sqlalchemy_exception, DBAPIError):
        return
    reason = _driver_reason(context.original_exception)
    where = masked_url(context.engine.url) if context.engine is not None else "the configured URL"
    raise RaceStoreConnectionError(
        f"cannot connect to the race store at {where}: {reason} — check KRA_DATABASE_URL"
    ) from context.original_exception


def _driver_reason(exc: BaseException) -> str:
    """The useful part of a driver message: psycopg2 prefixes the server address, keep the FATAL."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if "FATAL:" in line:
            return re.sub(r"\s+", " ", line.split("FATAL:", 1)[1]).strip().replace('"', "")
    return re.sub(r"\s+", " ", " ".join(lines)) or type(exc).__name__
