"""The shim's busiest reads, straight from Dagster's tables: a race day's status, the job list.

Dagster's own calls spend most of these requests on plumbing rather than on data: the newest
materialization of three assets takes six queries (each asset's wipe details, then its
events); a caller's page of runs takes two counts, a scan of every caller tag and repeated
pages; and on SQLite every query builds a fresh engine, so no statement is ever cached. Here
the same rows are read through Dagster's own table definitions, one query per answer (wipes
honoured as Dagster does), on the storage's pooled engine or one pooled engine per SQLite file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    EventLogEntry,
    RunRecord,
)
from dagster._core.assets import AssetDetails
from dagster._core.storage.event_log.schema import AssetKeyTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.schema import RunsTable, RunTagsTable
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster_shared.serdes import deserialize_value

from kra_pipeline.contract import (
    CALLER_TAG,
    PARTITION_TAG,
)

# Connections this process keeps per database: the shim's worker threads, with room to spare.
POOL_SIZE = 8
# Shared with the instance's own pooled storage (RunHistory.instance).
STATEMENT_TIMEOUT_MS = 15_000
POOL_RECYCLE_SECONDS = 3600

_events = SqlEventLogStorageTable.c
_MATERIALIZATION = DagsterEventType.ASSET_MATERIALIZATION.value

# The newest materialization id of each asset for one partition (Dagster's
# idx_events_by_asset_partition index answers the inner query).
_NEWEST_MATERIALIZATIONS = sa.select(_events.asset_key, _events.event).where(
    _events.id.in_(
        sa.select(sa.func.max(_events.id))
        .where(
            _events.asset_key.in_(sa.bindparam("asset_keys", expanding=True)),
            _events.dagster_event_type == _MATERIALIZATION,
            _events.partition == sa.bindparam("partition"),
        )
        .group_by(_events.asset_key)
        .scalar_subquery()
    )
)
_ASSET_DETAILS = sa.select(AssetKeyTable.c.asset_key, AssetKeyTable.c.asset_details).where(
    AssetKeyTable.c.asset_key.in_(sa.bindparam("asset_keys", expanding=True))
)
_RUN_RECORD_COLUMNS = (
    RunsTable.c.id,
    RunsTable.c.run_body,
    RunsTable.c.status,
    RunsTable.c.create_timestamp,
    RunsTable.c.update_timestamp,
    RunsTable.c.start_time,
    RunsTable.c.end_time,
)
_PARTITION_RUNS = (
    sa.select(*_RUN_RECORD_COLUMNS)
    .join(RunTagsTable, RunTagsTable.c.run_id == RunsTable.c.run_id)
    .where(RunTagsTable.c.key == PARTITION_TAG, RunTagsTable.c.value == sa.bindparam("partition"))
    .order_by(RunsTable.c.id.desc())
    .limit(sa.bindparam("limit"))
)


def _runs_tagged(key: str, value: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """The run carries tag `key` with a value meeting `value`. An uncorrelated IN: evaluated
    once through the (key, value) index, where a correlated EXISTS made SQLite scan that index
    once per run."""
    tagged = sa.select(RunTagsTable.c.run_id).where(
        RunTagsTable.c.key == key, value, RunTagsTable.c.run_id.is_not(None)
    )
    return RunsTable.c.run_id.in_(tagged)


def _run_record(row: sa.Row) -> RunRecord:
    """A RunRecord as Dagster's run storage builds it from the same columns."""
    return RunRecord(
        storage_id=row.id,
        # The status column is authoritative; the body's copy may lag behind it.
        dagster_run=deserialize_value(row.run_body, DagsterRun).with_status(
            DagsterRunStatus(row.status)
        ),
        create_timestamp=_utc(row.create_timestamp),
        update_timestamp=_utc(row.update_timestamp),
        start_time=row.start_time,
        end_time=row.end_time,
    )


def _last_wipe(asset_details: str | None) -> float | None:
    details = AssetDetails.from_db_string(asset_details)
    return details.last_wipe_timestamp if details else None


def _utc(value: datetime) -> datetime:
    """Dagster stores naive UTC datetimes."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class TableReads:
    """Newest materializations and runs of a partition, and a caller's runs, in few queries."""

    def __init__(self, instance: DagsterInstance) -> None:
        self._instance = instance
        self._engines: dict[str, sa.Engine] = {}
        self._lock = threading.Lock()

    def newest_materializations(
        self, partition_key: str, asset_names: Sequence[str]
    ) -> dict[str, EventLogEntry]:
        """Each asset's newest materialization of the partition, unless wiped since."""
        keys = {AssetKey(name).to_string(): name for name in asset_names}
        params = {"asset_keys": list(keys), "partition": partition_key}
        with self._index_connection() as conn:
            wiped_at = {
                row.asset_key: _last_wipe(row.asset_details)
                for row in conn.execute(_ASSET_DETAILS, params)
            }
            rows = conn.execute(_NEWEST_MATERIALIZATIONS, params).all()
        found: dict[str, EventLogEntry] = {}
        for row in rows:
            entry = deserialize_value(row.event, EventLogEntry)
            wipe = wiped_at.get(row.asset_key)
            if wipe is None or entry.timestamp > wipe:
                found[keys[row.asset_key]] = entry
        return found

    def partition_runs(self, partition_key: str, limit: int) -> list[RunRecord]:
        """The partition's runs, newest first, as Dagster's run storage would return them."""
        with self._runs_connection() as conn:
            rows = conn.execute(_PARTITION_RUNS, {"partition": partition_key, "limit": limit})
            return [_run_record(row) for row in rows]

    def runs_tagged(
        self, tag: str, status: str, updated_after: datetime, limit: int
    ) -> list[RunRecord]:
        """The newest runs in `status` updated after `updated_after` (UTC) that carry `tag`
        (whatever its value)."""
        query = (
            sa.select(*_RUN_RECORD_COLUMNS)
            .where(
                RunsTable.c.status == status,
                # Dagster stores naive UTC datetimes.
                RunsTable.c.update_timestamp > updated_after.astimezone(UTC).replace(tzinfo=None),
                _runs_tagged(tag, RunTagsTable.c.key == tag),
            )
            .order_by(RunsTable.c.id.desc())
            .limit(limit)
        )
        with self._runs_connection() as conn:
            return [_run_record(row) for row in conn.execute(query)]

    def caller_runs(
        self,
        caller: str,
        *,
        statuses: Sequence[str],
        tags: Mapping[str, str],
        limit: int,
        offset: int,
    ) -> tuple[list[RunRecord], int]:
        """A page of the runs `caller` may see (its own and those without a caller tag),
        newest first, narrowed by status and tags; and how many there are in all."""
        where = [~_runs_tagged(CALLER_TAG, RunTagsTable.c.value != caller)]
        if statuses:
            where.append(RunsTable.c.status.in_(list(statuses)))
        where += [_runs_tagged(key, RunTagsTable.c.value == value) for key, value in tags.items()]
        page = (
            sa.select(*_RUN_RECORD_COLUMNS)
            .where(*where)
            .order_by(RunsTable.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        count = sa.select(sa.func.count()).select_from(RunsTable).where(*where)
        with self._runs_connection() as conn:
            records = [_run_record(row) for row in conn.execute(page)]
            total = conn.execute(count).scalar_one()
        return records, total

    @contextmanager
    def _index_connection(self) -> Iterator[sa.Connection]:
        storage = self._instance.event_log_storage
        if isinstance(storage, SqliteEventLogStorage):
            url: str | None = storage.conn_string_for_shard(INDEX_SHARD_NAME)
        else:
            url = getattr(storage, "postgres_url", None)
        with self._connection(url, storage.index_connection) as conn:  # type: ignore[attr-defined]
            yield conn

    @contextmanager
    def _runs_connection(self) -> Iterator[sa.Connection]:
        storage = self._instance.run_storage
        if isinstance(storage, SqliteRunStorage):
            url: str | None = storage._conn_string
        else:
            url = getattr(storage, "postgres_url", None)
        with self._connection(url, storage.connect) as conn:  # type: ignore[attr-defined]
            yield conn

    @contextmanager
    def _connection(
        self, url: str | None, storage_connect: Callable[[], AbstractContextManager[sa.Connection]]
    ) -> Iterator[sa.Connection]:
        """A connection from this process's pool for `url`, else the storage's own."""
        if url is None:
            with storage_connect() as conn:
                yield conn
            return
        with self._engine(url).connect() as conn:
            yield conn

    def _engine(self, url: str) -> sa.Engine:
        """One pooled engine per database, shared by the shim's threads (reads only).

        Dagster's webserver-mode PostgreSQL pool keeps a single connection, so three of four
        concurrent requests would each open (and close) a new one; this pool keeps a few.
        """
        with self._lock:
            engine = self._engines.get(url)
            if engine is None:
                if url.startswith("sqlite"):
                    options: dict[str, Any] = {
                        "connect_args": {"check_same_thread": False, "timeout": 30}
                    }
                else:
                    options = {
                        "pool_size": POOL_SIZE,
                        "max_overflow": POOL_SIZE,
                        "pool_pre_ping": True,  # survives a database restart
                        "pool_recycle": POOL_RECYCLE_SECONDS,
                        "connect_args": {"options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"},
                    }
                engine = sa.create_engine(url, **options)
                self._engines[url] = engine
            return engine
