"""Starting collections: partition checks, one run per identical request, waiting for the end."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from kra_api.gateway import FINISHED, DagsterGateway, RunView, options_tag
from kra_api.schemas import BackfillRequest, CollectionRequest
from kra_pipeline.contract import (
    CALLER_TAG,
    COLLECT_CARDS_ONLY_JOB,
    COLLECT_UPCOMING_JOB,
    COLLECT_WITH_ENRICHMENT_JOB,
    DATE_FORMAT,
    OPTIONS_TAG,
    JobType,
    job_type_tags,
    kst_today,
    race_day_partition_key,
    race_selection_config,
    selected_race_numbers,
)
from kra_pipeline.store.db import exclusive, get_engine

DEFAULT_ESTIMATE_SECONDS = 30
# A busy race day is not asked about again sooner than this.
MIN_RETRY_SECONDS = 5


class RaceDayBusy(RuntimeError):
    """A run of the race day is in flight that this request cannot share (409).

    `run_id` is set only when the run is the caller's own (or launched outside the API): another
    key's run id is not disclosed. `retry_after` is when the run should be over, in seconds."""

    def __init__(self, message: str, run_id: str | None, retry_after: int) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.retry_after = retry_after


@dataclass(frozen=True)
class Launched:
    run_id: str
    reused: bool


def backfill_partition_keys(request: BackfillRequest) -> list[str]:
    """Every date × meet of the range, each day checked. Any length: a backfill runs many
    race days per run (BackfillPolicy.multi_run), so the whole history is one request."""
    start = date.fromisoformat(request.date_from)
    end = date.fromisoformat(request.date_to)
    days = (end - start).days + 1
    return [
        race_day_partition_key((start + timedelta(days=offset)).strftime(DATE_FORMAT), meet)
        for offset in range(days)
        for meet in request.meets
    ]


def is_ahead(race_date: str) -> bool:
    """A day after today in Seoul: its card is the entry sheet, not yet API214_1's."""
    return race_date > kst_today().strftime(DATE_FORMAT)


def collection_job(enrich: bool, race_date: str | None = None) -> str:
    """The job a collection runs: the entry sheet for a day ahead; else with enrichment, or the
    race cards only."""
    if race_date is not None and is_ahead(race_date):
        return COLLECT_UPCOMING_JOB
    return COLLECT_WITH_ENRICHMENT_JOB if enrich else COLLECT_CARDS_ONLY_JOB


def _covers(run: RunView, job: str, races: list[int]) -> bool:
    """Whether the run in flight does all this request asks: the same stages or more (the
    enrichment job also collects the card), and the whole day or every race asked for."""
    stages_covered = run.job_name == job or run.job_name == COLLECT_WITH_ENRICHMENT_JOB
    run_races = selected_race_numbers(run.run_config) or []
    races_covered = not run_races or (bool(races) and set(races) <= set(run_races))
    return stages_covered and races_covered


def _describe_run(run: RunView) -> str:
    races = selected_race_numbers(run.run_config) or "all"
    return f"job {run.run_id} ({run.job_name}, races {races})"


class CollectionLauncher:
    """Launches collections, one run per race day at a time.

    While a run of the day is in flight, a request it covers (same caller, same stages or
    fewer, the same races or some of them) gets that run whatever its other options; any
    other request is refused with the run in flight, so no caller can pile up runs.
    """

    def __init__(self, gateway: DagsterGateway) -> None:
        self.gateway = gateway
        self._lock = threading.Lock()

    def launch(self, request: CollectionRequest, caller: str) -> Launched:
        """Blocking; call through asyncio.to_thread."""
        key = race_day_partition_key(request.date, request.meet)
        job = collection_job(request.options.enrich, request.date)
        races = sorted(request.race_numbers or [])
        options = options_tag(request.options.enrich, request.options.get_results)
        # The thread lock orders this process's requests; the store lock orders shim processes
        # (uvicorn workers, or shims on several machines sharing a PostgreSQL store).
        with self._lock, exclusive(get_engine(), f"launch {key}"):
            for run in self.gateway.in_flight_runs(key):
                yours = run.tags.get(CALLER_TAG) in (None, caller)
                if yours and _covers(run, job, races):
                    return Launched(run.run_id, reused=True)
                retry_after = self._remaining_seconds(run)
                day = f"race day {request.date} meet {request.meet}"
                if yours:
                    raise RaceDayBusy(
                        f"{day} is being collected by {_describe_run(run)}; one run per race "
                        "day at a time: follow /api/v2/collection/status and ask again once it "
                        "has finished",
                        run.run_id,
                        retry_after,
                    )
                raise RaceDayBusy(
                    f"{day} is being collected for another caller; one run per race day at a "
                    f"time: ask again in about {retry_after} s (Retry-After), or follow "
                    "/api/v2/collection/status",
                    None,
                    retry_after,
                )
            tags = {**job_type_tags(JobType.COLLECTION), CALLER_TAG: caller, OPTIONS_TAG: options}
            # The entry sheet is stored whole: a race selection applies to the race-day jobs.
            config = {} if job == COLLECT_UPCOMING_JOB else race_selection_config(races)
            run_id = self.gateway.launch_run(job, key, config, tags)
        return Launched(run_id, reused=False)

    def _remaining_seconds(self, run: RunView) -> int:
        """When the run in flight should be over: its job's mean duration less its age."""
        durations = self.gateway.recent_durations(run.job_name)
        mean = sum(durations) / len(durations) if durations else DEFAULT_ESTIMATE_SECONDS
        since = run.started_at or run.created_at
        if since is not None and since.tzinfo is None:  # Dagster's create time is naive UTC
            since = since.replace(tzinfo=UTC)
        age = (datetime.now(UTC) - since).total_seconds() if since else 0.0
        return max(MIN_RETRY_SECONDS, math.ceil(mean - age))

    def estimated_seconds(self, enrich: bool) -> int:
        """Mean duration of recent successful runs of the same job, or a default."""
        job = collection_job(enrich)
        durations = self.gateway.recent_durations(job)
        if not durations:
            return DEFAULT_ESTIMATE_SECONDS
        return max(1, math.ceil(sum(durations) / len(durations)))

    async def wait(self, run_id: str, timeout: float, poll: float) -> RunView | None:
        """The finished run, or None when `timeout` passes first; never blocks the loop."""
        deadline = time.monotonic() + timeout
        while True:
            run = await asyncio.to_thread(self.gateway.get_run, run_id)
            if run is not None and run.status in FINISHED:
                return run
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            await asyncio.sleep(min(poll, remaining))

    def launch_market_backfill(self, meet_months: list[tuple[int, str]], caller: str) -> str:
        """One Dagster backfill of the market history job over (meet, YYYYMM) partitions."""
        tags = {**job_type_tags(JobType.BACKFILL), CALLER_TAG: caller}
        return self.gateway.launch_market_backfill(meet_months, tags)

    def launch_backfill(self, keys: list[str], caller: str) -> str:
        """One Dagster backfill over the partitions (see backfill_partition_keys)."""
        tags = {**job_type_tags(JobType.BACKFILL), CALLER_TAG: caller}
        return self.gateway.launch_backfill(keys, tags)
