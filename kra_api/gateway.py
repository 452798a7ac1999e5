"""The one door to Dagster: launches go through the webserver's GraphQL API (so they pass the run
queue, pools and daemon and show in the UI); reads go to the DagsterInstance on the same
DAGSTER_HOME. Everything returned is plain Python, so the rest of the shim never imports Dagster.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
from dagster import AssetKey, AssetRecordsFilter, DagsterEventType, DagsterInstance
from dagster._core.storage.dagster_run import DagsterRunStatus, RunRecord, RunsFilter
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from kra_pipeline.partitions import race_day_partitions

JOB_TYPE_TAG = "kra/job_type"
CALLER_TAG = "kra/caller"
OPTIONS_TAG = "kra/options"
PARTITION_TAG = "dagster/partition"
BACKFILL_TAG = "dagster/backfill"
ASSETS: tuple[str, ...] = ("raw_race_day", "collected_race_day", "enriched_race_day")
IN_FLIGHT = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED")
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
_STEP_END = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
             DagsterEventType.STEP_SKIPPED}  # fmt: skip
_PAGE = 200
STARTING_GRACE_SECONDS = 20.0

_BACKFILL_MUTATION = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on RunConflict { message }
  }
}
"""


class GatewayUnavailable(RuntimeError):
    """The Dagster webserver cannot be reached; the message says which URL to check."""


class LaunchRejected(RuntimeError):
    """Dagster refused the launch (unknown job, bad config); the message is Dagster's reason."""


@dataclass(frozen=True)
class RunView:
    run_id: str
    job_name: str
    status: str
    tags: Mapping[str, str]
    run_config: Mapping[str, Any]
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class LogLine:
    timestamp: datetime
    level: str
    event: str | None
    step: str | None
    message: str


@dataclass
class RunDetail:
    """What the event log says about one run."""

    steps_total: int = 0
    steps_done: int = 0
    current_step: str | None = None
    error_message: str | None = None
    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)
    logs: list[LogLine] = field(default_factory=list)


@dataclass(frozen=True)
class Materialization:
    asset: str
    run_id: str | None
    timestamp: datetime
    metadata: Mapping[str, Any]


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def plain_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata values as JSON-ready Python, without the markdown preview."""
    out: dict[str, Any] = {}
    for name, value in metadata.items():
        if name == "preview":
            continue
        raw = getattr(value, "value", value)
        out[name] = raw if isinstance(raw, str | int | float | bool | list | dict) else str(raw)
    return out


def _view(record: RunRecord) -> RunView:
    run = record.dagster_run
    return RunView(
        run_id=run.run_id,
        job_name=run.job_name,
        status=run.status.value,
        tags=dict(run.tags),
        run_config=dict(run.run_config or {}),
        created_at=record.create_timestamp,
        started_at=_ts(record.start_time),
        completed_at=_ts(record.end_time),
    )


class DagsterGateway:
    """Launch, read and cancel runs of the `kra` code location."""

    def __init__(self, webserver_url: str, instance: DagsterInstance | None = None) -> None:
        self.webserver_url = webserver_url.rstrip("/")
        self._instance = instance
        self._lock = threading.Lock()
        self._kra_calls: tuple[int | None, float] = (None, 0.0)

    # -- plumbing -------------------------------------------------------------------------
    @property
    def instance(self) -> DagsterInstance:
        """The instance on DAGSTER_HOME (never Dagster's throwaway one)."""
        with self._lock:
            if self._instance is None:
                from kra_pipeline.paths import dagster_home

                os.environ.setdefault("DAGSTER_HOME", str(dagster_home()))
                self._instance = DagsterInstance.get()
            return self._instance

    def _graphql(self) -> DagsterGraphQLClient:
        parts = urlsplit(self.webserver_url)
        return DagsterGraphQLClient(
            parts.hostname or "127.0.0.1",
            port_number=parts.port,
            use_https=parts.scheme == "https",
            timeout=30,
            path_prefix=parts.path.rstrip("/"),
        )

    def _unreachable(self, exc: Exception) -> GatewayUnavailable:
        return GatewayUnavailable(
            f"the Dagster webserver at {self.webserver_url} did not answer "
            f"({exc.__class__.__name__}); start it with `kra up` or set DAGSTER_WEBSERVER_URL"
        )

    def ping_webserver(self) -> str:
        """The webserver's Dagster version; raises GatewayUnavailable when it does not answer."""
        try:
            answer = httpx.post(
                f"{self.webserver_url}/graphql", json={"query": "{ version }"}, timeout=5
            )
            answer.raise_for_status()
            return str(answer.json()["data"]["version"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise self._unreachable(exc) from exc

    # -- launching ------------------------------------------------------------------------
    def launch_run(
        self,
        job_name: str,
        partition_key: str,
        run_config: Mapping[str, Any],
        tags: Mapping[str, str],
    ) -> str:
        """Submit one partitioned run through GraphQL and return its run id."""
        all_tags = {**race_day_partitions.get_tags_for_partition_key(partition_key), **tags}
        try:
            return self._graphql().submit_job_execution(
                job_name, run_config=dict(run_config), tags=all_tags
            )
        except DagsterGraphQLClientError as exc:
            if _connection_failed(exc):
                raise self._unreachable(exc) from exc
            raise LaunchRejected(f"Dagster refused to launch {job_name}: {_reason(exc)}") from exc

    def launch_backfill(self, partition_keys: Sequence[str], tags: Mapping[str, str]) -> str:
        """A partition backfill of the three race-day assets; answers the backfill id."""
        params = {
            "partitionNames": list(partition_keys),
            "assetSelection": [{"path": [name]} for name in ASSETS],
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
            "title": f"kra backfill {partition_keys[0]} .. {partition_keys[-1]}",
        }
        try:
            answer = httpx.post(
                f"{self.webserver_url}/graphql",
                json={"query": _BACKFILL_MUTATION, "variables": {"params": params}},
                timeout=60,
            )
            answer.raise_for_status()
            result = answer.json()["data"]["launchPartitionBackfill"]
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            raise self._unreachable(exc) from exc
        if result["__typename"] != "LaunchBackfillSuccess":
            raise LaunchRejected(f"Dagster refused the backfill: {result.get('message')}")
        return str(result["backfillId"])

    def cancel_run(self, run_id: str) -> None:
        """Drop a queued run from the queue; terminate a running one through GraphQL."""
        run = self.instance.get_run_by_id(run_id)
        if run is not None and run.status in (
            DagsterRunStatus.QUEUED,
            DagsterRunStatus.NOT_STARTED,
        ):
            self.instance.report_run_canceled(run, message="Cancelled through the REST API")
            return
        # Dagster refuses to terminate a run while its process is starting: give it a moment.
        deadline = time.monotonic() + STARTING_GRACE_SECONDS
        while run is not None and run.status == DagsterRunStatus.STARTING:
            if time.monotonic() > deadline:
                break
            time.sleep(0.25)
            run = self.instance.get_run_by_id(run_id)
        try:
            self._graphql().terminate_run(run_id)
        except DagsterGraphQLClientError as exc:
            if _connection_failed(exc):
                raise self._unreachable(exc) from exc
            raise LaunchRejected(f"Dagster refused to cancel run {run_id}: {_reason(exc)}") from exc

    # -- run records ----------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunView | None:
        """The run, or None for an unknown or malformed id."""
        try:
            records = self.instance.get_run_records(RunsFilter(run_ids=[run_id]), limit=1)
        except Exception:  # a malformed id may upset the storage's query; it is still unknown
            return None
        return _view(records[0]) if records else None

    def partition_runs(self, partition_key: str, limit: int = 20) -> list[RunView]:
        records = self.instance.get_run_records(
            RunsFilter(tags={PARTITION_TAG: partition_key}), limit=limit
        )
        return [_view(r) for r in records]

    def in_flight_runs(self, partition_key: str, job_name: str) -> list[RunView]:
        flt = RunsFilter(
            job_name=job_name,
            tags={PARTITION_TAG: partition_key},
            statuses=[DagsterRunStatus(s) for s in IN_FLIGHT],
        )
        return [_view(r) for r in self.instance.get_run_records(flt)]

    def list_runs(
        self, *, caller: str, statuses: Sequence[str], job_type: str | None, limit: int, offset: int
    ) -> tuple[list[RunView], int]:
        """Newest first, only runs of this caller or launched outside the API; and their count."""
        tags = {JOB_TYPE_TAG: job_type} if job_type else {}
        run_statuses = [DagsterRunStatus(s) for s in statuses] or None
        base = RunsFilter(statuses=run_statuses, tags=tags or None)
        others = [fp for fp in self._callers() if fp != caller]
        total = self.instance.get_runs_count(base)
        if others:
            hidden = RunsFilter(statuses=run_statuses, tags={**tags, CALLER_TAG: others})
            total -= self.instance.get_runs_count(hidden)
        visible: list[RunView] = []
        skip, cursor = offset, None
        while len(visible) < limit:
            batch = self.instance.get_run_records(base, limit=_PAGE, cursor=cursor)
            for record in batch:
                if record.dagster_run.tags.get(CALLER_TAG) not in (None, caller):
                    continue
                if skip:
                    skip -= 1
                elif len(visible) < limit:
                    visible.append(_view(record))
            if len(batch) < _PAGE:
                break
            cursor = batch[-1].dagster_run.run_id
        return visible, max(total, 0)

    def _callers(self) -> set[str]:
        for key, values in self.instance.get_run_tags(tag_keys=[CALLER_TAG]):
            if key == CALLER_TAG:
                return set(values)
        return set()

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
                    detail.error_message = error.message.strip() if error else entry.message
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
                    level=_level_name(entry.level),
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
        return {
            "status": backfill.status.value,
            "tags": dict(backfill.tags or {}),
            "partitions": list(backfill.partition_names or []),
            "created_at": _ts(backfill.backfill_timestamp),
            "completed_at": _ts(backfill.backfill_end_timestamp),
            "error": backfill.error.message if backfill.error else None,
        }

    # -- materializations -----------------------------------------------------------------
    def latest_materializations(self, partition_key: str) -> dict[str, Materialization]:
        """The newest materialization of each race-day asset for one partition."""
        found: dict[str, Materialization] = {}
        for name in ASSETS:
            flt = AssetRecordsFilter(asset_key=AssetKey(name), asset_partitions=[partition_key])
            result = self.instance.fetch_materializations(flt, limit=1)
            if not result.records:
                continue
            entry = result.records[0].event_log_entry
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
            name: len(self.instance.get_materialized_partitions(AssetKey(name))) for name in ASSETS
        }

    def kra_calls_total(self) -> float:
        """Sum of `api_calls` over every materialization, read incrementally between scrapes."""
        cursor, total = self._kra_calls
        newest = cursor
        for name in ("raw_race_day", "enriched_race_day"):
            flt = AssetRecordsFilter(asset_key=AssetKey(name), after_storage_id=cursor)
            page_cursor = None
            while True:
                page = self.instance.fetch_materializations(
                    flt, limit=1000, cursor=page_cursor, ascending=True
                )
                for record in page.records:
                    mat = record.event_log_entry.asset_materialization
                    calls = mat.metadata.get("api_calls") if mat else None
                    total += float(getattr(calls, "value", calls) or 0)
                    newest = max(newest or 0, record.storage_id)
                if not page.has_more:
                    break
                page_cursor = page.cursor
        self._kra_calls = (newest, total)
        return total

    def daemon_heartbeats(self) -> dict[str, datetime]:
        return {
            name: datetime.fromtimestamp(beat.timestamp, tz=UTC)
            for name, beat in self.instance.get_daemon_heartbeats().items()
        }

    def storage_ok(self) -> int:
        """Number of runs in storage; raises with the storage's own message when unreachable."""
        return self.instance.get_runs_count()


def _connection_failed(exc: BaseException) -> bool:
    """The GraphQL client wraps refused connections several layers deep."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.exceptions.ConnectionError | ConnectionError):
            return True
        if "connecting to url" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: DagsterGraphQLClientError) -> str:
    """Dagster's own words (error type and message), without the echoed GraphQL query."""
    parts = [str(arg) for arg in exc.args if arg and "mutation" not in str(arg)]
    return ": ".join(parts)[:500] or exc.__class__.__name__


def _level_name(level: int | str) -> str:
    import logging

    return logging.getLevelName(level) if isinstance(level, int) else str(level)


def options_tag(enrich: bool, get_results: bool) -> str:
    return json.dumps({"enrich": enrich, "get_results": get_results}, sort_keys=True)
