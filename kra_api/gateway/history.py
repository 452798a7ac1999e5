"""Reading runs, event logs and materializations from the DagsterInstance on DAGSTER_HOME."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
)

from kra_api.gateway.records import (
    LogLine,
    Materialization,
    QuotaStop,
    RunDetail,
    RunView,
    first_real_cause,
    level_name,
    plain_metadata,
    run_view,
    timestamp_or_none,
)
from kra_api.gateway.table_reads import POOL_RECYCLE_SECONDS, STATEMENT_TIMEOUT_MS, TableReads
from kra_pipeline.contract import (
    API_CALLS,
    BACKFILL_TAG,
    CONFIGURATION_ERROR_TAG,
    DAILY_QUOTA_TAG,
    DIVIDENDS_ASSET,
    ENRICHED_ASSET,
    JOB_TYPE_TAG,
    KRA_REACHED_TAG,
    KRA_UNREACHABLE_TAG,
    PARTITION_TAG,
    QUOTA_RESUME_LOOKBACK_DAYS,
    RACE_DAY_ASSETS,
    RAW_ASSET,
)
from kra_pipeline.defs.shared.partitions import race_day_keys_of_run
from kra_pipeline.store.db import SCHEMA_LOCK

# How many recent quota-stopped runs a race day's status looks through.
QUOTA_STOP_SCAN = 50
IN_FLIGHT = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED")
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
_STEP_END = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
             DagsterEventType.STEP_SKIPPED}  # fmt: skip


class RunHistory:
    """Runs, backfills, materializations and daemon heartbeats, as plain Python."""

    _instance: DagsterInstance | None
    _table_reads: TableReads | None
    _lock: threading.Lock
    _kra_calls: tuple[int | None, float]

    @property
    def instance(self) -> DagsterInstance:
        """The instance on DAGSTER_HOME (never Dagster's throwaway one).

        Opened under SCHEMA_LOCK first, then this gateway's lock, the order `warm_up` takes
        them in: the other order deadlocked a request that came during the warm-up."""
        if self._instance is not None:
            return self._instance
        # A new SQLite instance stamps its schema with Alembic: SCHEMA_LOCK.
        with SCHEMA_LOCK, self._lock:
            if self._instance is None:
                from kra_pipeline.paths import dagster_home

                os.environ.setdefault("DAGSTER_HOME", str(dagster_home()))
                instance = DagsterInstance.get()
                # Pooled connections, as the Dagster webserver uses: without this, storage on
                # PostgreSQL opens a new connection for every query (a status read: ~75 ms → ~6 ms).
                instance.optimize_for_webserver(
                    statement_timeout=STATEMENT_TIMEOUT_MS,
                    pool_recycle=POOL_RECYCLE_SECONDS,
                    max_overflow=20,
                )
                self._instance = instance
            return self._instance

    @property
    def table_reads(self) -> TableReads:
        """Few-query reads for the status and job-list paths."""
        instance = self.instance
        with self._lock:
            if self._table_reads is None:
                self._table_reads = TableReads(instance)
            return self._table_reads

    def warm_up(self) -> None:
        """Open the instance and both pooled databases now, not on a worker's first requests."""
        with SCHEMA_LOCK:  # SQLite storages may create and stamp their tables on first use
            self.table_reads.newest_materializations("", RACE_DAY_ASSETS)
            self.table_reads.partition_runs("", limit=1)

    def get_run(self, run_id: str) -> RunView | None:
        """The run, or None for an unknown or malformed id."""
        try:
            records = self.instance.get_run_records(RunsFilter(run_ids=[run_id]), limit=1)
        except Exception:  # a malformed id may upset the storage's query; it is still unknown
            return None
        return run_view(records[0]) if records else None

    def partition_runs(self, partition_key: str, limit: int = 20) -> list[RunView]:
        """The partition's runs, newest first."""
        return [run_view(r) for r in self.table_reads.partition_runs(partition_key, limit)]

    def in_flight_runs(self, partition_key: str) -> list[RunView]:
        """Queued and running runs of the partition, whatever their job."""
        flt = RunsFilter(
            tags={PARTITION_TAG: partition_key},
            statuses=[DagsterRunStatus(s) for s in IN_FLIGHT],
        )
        return [run_view(r) for r in self.instance.get_run_records(flt)]

    def list_runs(
        self, *, caller: str, statuses: Sequence[str], job_type: str | None, limit: int, offset: int
    ) -> tuple[list[RunView], int]:
        """Newest first, only runs of this caller or launched outside the API; and their count."""
        tags = {JOB_TYPE_TAG: job_type} if job_type else {}
        records, total = self.table_reads.caller_runs(
            caller, statuses=statuses, tags=tags, limit=limit, offset=offset
        )
        return [run_view(r) for r in records], total

    def runs_by_status(self) -> dict[str, int]:
        return {
            status.value: self.instance.get_runs_count(RunsFilter(statuses=[status]))
            for status in DagsterRunStatus
        }

    def recent_durations(self, job_name: str, limit: int = 10) -> list[float]:
        flt = RunsFilter(job_name=job_name, statuses=[DagsterRunStatus.SUCCESS])
        return [
            r.end_time - r.start_time
            for r in self.instance.get_run_records(flt, limit=limit)
            if r.start_time and r.end_time
        ]

    def run_detail(self, run_id: str, log_limit: int = 100) -> RunDetail:
        """Progress, current step, failure reason, materializations and newest log lines."""
        detail = RunDetail()
        run = self.instance.get_run_by_id(run_id)
        if run is not None and run.execution_plan_snapshot_id:
            plan = self.instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
            detail.steps_total = len(plan.step_keys_to_execute or plan.steps)
        started: dict[str, None] = {}
        for entry in self.instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.STEP_START and entry.step_key:
                started[entry.step_key] = None
            elif event.event_type in _STEP_END:
                detail.steps_done += 1
                started.pop(entry.step_key or "", None)
                if event.event_type == DagsterEventType.STEP_FAILURE and not detail.error_message:
                    error = getattr(event.event_specific_data, "error", None)
                    detail.error_message = first_real_cause(error) if error else entry.message
            elif event.event_type == DagsterEventType.RUN_FAILURE and not detail.error_message:
                detail.error_message = entry.message or event.message
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                mat = event.step_materialization_data.materialization
                detail.materializations[mat.asset_key.to_user_string()] = plain_metadata(
                    mat.metadata
                )
        detail.current_step = next(reversed(started), None)
        records = self.instance.get_records_for_run(run_id, limit=log_limit, ascending=False)
        for record in records.records:
            entry = record.event_log_entry
            detail.logs.append(
                LogLine(
                    timestamp=datetime.fromtimestamp(entry.timestamp, tz=UTC),
                    level=level_name(entry.level),
                    event=entry.dagster_event.event_type_value if entry.dagster_event else None,
                    step=entry.step_key,
                    message=entry.message or entry.user_message or "",
                )
            )
        return detail

    def backfill(self, backfill_id: str) -> dict[str, Any] | None:
        try:
            backfill = self.instance.get_backfill(backfill_id)
        except Exception:  # malformed ids are unknown ids
            return None
        if backfill is None:
            return None
        # Progress from the backfill's own runs: the daemon marks the backfill complete only on
        # its next pass, well after the last partition has finished.
        runs = RunsFilter(tags={BACKFILL_TAG: backfill_id})
        finished = RunsFilter(
            tags={BACKFILL_TAG: backfill_id}, statuses=[DagsterRunStatus(s) for s in FINISHED]
        )
        partitions = _backfill_partitions(backfill)
        done = self.instance.get_runs(finished)
        return {
            "status": backfill.status.value,
            "runs_total": self.instance.get_runs_count(runs),
            "runs_finished": len(done),
            "partitions_finished": sum(_run_partitions(run.tags, partitions) for run in done),
            "tags": dict(backfill.tags or {}),
            "partitions": partitions,
            "created_at": timestamp_or_none(backfill.backfill_timestamp),
            "completed_at": timestamp_or_none(backfill.backfill_end_timestamp),
            "error": backfill.error.message if backfill.error else None,
        }

    # -- materializations -----------------------------------------------------------------
    def quota_stop(self, partition_key: str) -> QuotaStop | None:
        """The newest run a spent daily quota stopped that covered this race day, if any, among
        those recent enough for the resume sensor to take up."""
        since = datetime.now(UTC) - timedelta(days=QUOTA_RESUME_LOOKBACK_DAYS)
        stopped_runs = self.table_reads.runs_tagged(
            DAILY_QUOTA_TAG, "FAILURE", since, QUOTA_STOP_SCAN
        )
        for record in stopped_runs:
            tags = record.dagster_run.tags
            if partition_key in race_day_keys_of_run(tags):
                try:
                    reset = datetime.fromisoformat(tags[DAILY_QUOTA_TAG])
                except ValueError:
                    continue
                stopped = record.update_timestamp
                return QuotaStop(record.dagster_run.run_id, stopped, reset)
        return None

    def latest_materializations(self, partition_key: str) -> dict[str, Materialization]:
        """The newest materialization of each race-day asset (and of the dividends, which
        complete a day's results) for one partition."""
        entries = self.table_reads.newest_materializations(
            partition_key, (*RACE_DAY_ASSETS, DIVIDENDS_ASSET)
        )
        found: dict[str, Materialization] = {}
        for name, entry in entries.items():
            mat = entry.asset_materialization
            found[name] = Materialization(
                asset=name,
                run_id=entry.run_id,
                timestamp=datetime.fromtimestamp(entry.timestamp, tz=UTC),
                metadata=plain_metadata(mat.metadata if mat else {}),
            )
        return found

    def materialized_partition_counts(self) -> dict[str, int]:
        return {
            name: len(self.instance.get_materialized_partitions(AssetKey(name)))
            for name in RACE_DAY_ASSETS
        }

    def kra_calls_total(self) -> float:
        """Sum of `api_calls` over every materialization, read incrementally between scrapes."""
        cursor, total = self._kra_calls
        newest = cursor
        for name in (RAW_ASSET, ENRICHED_ASSET):  # the assets that call KRA
            flt = AssetRecordsFilter(asset_key=AssetKey(name), after_storage_id=cursor)
            page_cursor = None
            while True:
                page = self.instance.fetch_materializations(
                    flt, limit=1000, cursor=page_cursor, ascending=True
                )
                for record in page.records:
                    mat = record.event_log_entry.asset_materialization
                    calls = mat.metadata.get(API_CALLS) if mat else None
                    total += float(getattr(calls, "value", calls) or 0)
                    newest = max(newest or 0, record.storage_id)
                if not page.has_more:
                    break
                page_cursor = page.cursor
        self._kra_calls = (newest, total)
        return total

    def kra_key_refusal(self) -> dict[str, Any] | None:
        """The newest run KRA refused for configuration, unless data was fetched after it."""
        return self._newest_kra_failure(CONFIGURATION_ERROR_TAG)

    def kra_unreachable(self) -> dict[str, Any] | None:
        """The newest run that could not reach KRA, unless it recovered or data came since."""
        return self._newest_kra_failure(KRA_UNREACHABLE_TAG)

    def _newest_kra_failure(self, tag: str) -> dict[str, Any] | None:
        """What recent runs learned about KRA, read from their tags: no call is spent on it."""
        records = self.instance.get_run_records(RunsFilter(tags={tag: "true"}), limit=1)
        if not records or records[0].dagster_run.status == DagsterRunStatus.SUCCESS:
            return None
        failed = records[0]
        failed_at = failed.end_time or failed.update_timestamp.timestamp()
        fetched = self.instance.fetch_materializations(AssetKey(RAW_ASSET), limit=1).records
        reached = self.instance.get_run_records(RunsFilter(tags={KRA_REACHED_TAG: "true"}), limit=1)
        if (fetched and fetched[0].timestamp > failed_at) or (
            reached and reached[0].update_timestamp.timestamp() > failed_at
        ):
            return None
        return {
            "run_id": failed.dagster_run.run_id,
            "at": timestamp_or_none(failed_at),
            "message": self.run_detail(failed.dagster_run.run_id, log_limit=0).error_message,
        }

    def daemon_heartbeats(self) -> dict[str, datetime]:
        return {
            name: datetime.fromtimestamp(beat.timestamp, tz=UTC)
            for name, beat in self.instance.get_daemon_heartbeats().items()
        }

    def storage_ok(self) -> int:
        """Number of runs in storage; raises with the storage's own message when unreachable."""
        return self.instance.get_runs_count()


def _run_partitions(tags: Any, partitions: Sequence[str]) -> int:
    """How many of a backfill's partitions one run covered (one, or its batch's range)."""
    return len(set(race_day_keys_of_run(tags)) & set(partitions))


def _backfill_partitions(backfill: Any) -> list[str]:
    """The partition keys a backfill targets: named for job backfills, in the asset subset
    for asset backfills (those launched by the shim and by the UI's asset pages)."""
    if backfill.partition_names:
        return list(backfill.partition_names)
    data = backfill.asset_backfill_data
    if data is None:
        return []
    keys: set[str] = set()
    for subset in data.target_subset.partitions_subsets_by_asset_key.values():
        keys.update(str(key) for key in subset.get_partition_keys())
    return sorted(keys)
