"""Resume the partitions a spent daily quota left undone, once KRA's count has reset.

A step that meets the daily quota stops at once and its run is tagged with the reset time
(00:00 KST). After that time these sensors ask again for exactly the partitions the run did not
finish, so a history backfill that needs more than a day's quota completes over several days
with nothing for the user to re-launch: race days (in as few batched runs as the backfill
policy allows) and the market history's meet-months (market_history_job, one run each; the
assets a month already stored before the stop are not asked again).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    PartitionKeyRange,
    RunRecord,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from kra_pipeline.contract import (
    CALLER_TAG,
    DAILY_QUOTA_TAG,
    JOB_TYPE_TAG,
    PARTITION_TAG,
    QUOTA_RESUME_LOOKBACK_DAYS,
)
from kra_pipeline.defs.market import market_assets, market_month_assets
from kra_pipeline.defs.market.jobs import market_history
from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.scratches import scratch_assets
from kra_pipeline.defs.shared.batch import PARTITIONS_PER_RUN
from kra_pipeline.defs.shared.names import RANGE_END_TAG, RANGE_START_TAG, RESUMES_RUN_TAG
from kra_pipeline.defs.shared.partitions import (
    race_day_keys_of_run,
    race_day_ranges,
    race_month_partitions,
)
from kra_pipeline.defs.track import track_assets

RESUME_LOOKBACK = timedelta(days=QUOTA_RESUME_LOOKBACK_DAYS)
# The race-day assets that spend KRA calls, and so may be stopped by the daily quota.
_RESUMABLE = (*race_day_assets, *market_assets, *scratch_assets, *track_assets)
RESUMABLE_ASSET_KEYS = frozenset(key for definition in _RESUMABLE for key in definition.keys)
# The meet-month market assets (market_history_job), resumed by month partition.
MONTH_ASSET_KEYS = frozenset(key for definition in market_month_assets for key in definition.keys)
_KEPT_TAGS = (CALLER_TAG, JOB_TYPE_TAG)


def quota_stopped_runs(instance: DagsterInstance, now: datetime) -> list[RunRecord]:
    """Recent failed runs that a spent daily quota stopped, newest first."""
    records = instance.get_run_records(
        RunsFilter(statuses=[DagsterRunStatus.FAILURE], updated_after=now - RESUME_LOOKBACK),
        limit=500,
    )
    return [record for record in records if DAILY_QUOTA_TAG in record.dagster_run.tags]


def reset_passed(record: RunRecord, now: datetime) -> bool:
    """Whether the quota that stopped the run has reset (an unreadable tag counts as reset)."""
    try:
        reset = datetime.fromisoformat(record.dagster_run.tags[DAILY_QUOTA_TAG])
    except ValueError:
        return True
    return now >= reset


def planned_assets(instance: DagsterInstance, record: RunRecord) -> set[AssetKey]:
    """The assets the run was to materialize: its selection, or (a run of a whole job, whose
    selection is empty) the assets its plan announced."""
    run = record.dagster_run
    if run.asset_selection:
        return set(run.asset_selection)
    planned = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED, limit=1000
    ).records
    return {
        entry.event_log_entry.dagster_event.asset_key
        for entry in planned
        if entry.event_log_entry.dagster_event is not None
        and entry.event_log_entry.dagster_event.asset_key is not None
    }


def undone_race_days(
    instance: DagsterInstance, record: RunRecord, assets: list[AssetKey]
) -> dict[str, tuple[AssetKey, ...]]:
    """Each race day of the run with the selected assets it lacks: those not materialized since
    the run began (a batch records the days it stored before it stopped)."""
    return undone_partitions(
        instance, record, assets, race_day_keys_of_run(record.dagster_run.tags)
    )


def month_keys_of_run(tags: dict[str, str]) -> list[str]:
    """The meet-month keys a run covers: its one partition, or every key of its range."""
    if PARTITION_TAG in tags:
        return [tags[PARTITION_TAG]]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if not start or not end:
        return []
    return list(race_month_partitions.get_partition_keys_in_range(PartitionKeyRange(start, end)))


def undone_partitions(
    instance: DagsterInstance, record: RunRecord, assets: list[AssetKey], keys: list[str]
) -> dict[str, tuple[AssetKey, ...]]:
    """Each of `keys` with the selected assets not materialized since the run began."""
    began = record.start_time or record.create_timestamp.timestamp()
    done: dict[AssetKey, set[str]] = {}
    for asset_key in assets:
        result = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=asset_key, asset_partitions=keys, after_timestamp=began),
            limit=len(keys) * 4,
        )
        done[asset_key] = {str(entry.partition_key) for entry in result.records}
    lacking = {key: tuple(a for a in assets if key not in done[a]) for key in keys}
    return {key: missing for key, missing in lacking.items() if missing}


def _stopped_and_reset(
    instance: DagsterInstance, now: datetime, resumable: frozenset[AssetKey]
) -> Iterator[tuple[RunRecord, list[AssetKey], dict[str, str]]]:
    """Quota-stopped runs whose quota has reset and that planned some of `resumable`: each with
    those assets and the tags a resuming run carries."""
    for record in quota_stopped_runs(instance, now):
        run = record.dagster_run
        assets = sorted(planned_assets(instance, record) & resumable, key=str)
        if not assets or not reset_passed(record, now):
            continue
        tags = {name: run.tags[name] for name in _KEPT_TAGS if name in run.tags}
        tags[RESUMES_RUN_TAG] = run.run_id
        yield record, assets, tags


def resume_requests(instance: DagsterInstance, now: datetime) -> list[RunRequest]:
    """For every quota-stopped run whose quota has reset, requests for the race days it left
    undone: days lacking the same assets go together, in batches the backfill policy allows,
    so no stored day is fetched again. Run keys make each request once, however many ticks."""
    requests = []
    for record, assets, tags in _stopped_and_reset(instance, now, RESUMABLE_ASSET_KEYS):
        run = record.dagster_run
        by_missing: dict[tuple[AssetKey, ...], list[str]] = {}
        for key, missing in undone_race_days(instance, record, assets).items():
            by_missing.setdefault(missing, []).append(key)
        for missing, keys in by_missing.items():
            names = "+".join(asset.to_user_string() for asset in missing)
            for first, last in race_day_ranges(keys, PARTITIONS_PER_RUN):
                if first == last:
                    batch = {PARTITION_TAG: first}
                else:
                    batch = {RANGE_START_TAG: first, RANGE_END_TAG: last}
                requests.append(
                    RunRequest(
                        run_key=f"quota-resume:{run.run_id}:{names}:{first}",
                        asset_selection=list(missing),
                        tags={**tags, **batch},
                    )
                )
    return requests


def month_resume_requests(instance: DagsterInstance, now: datetime) -> list[RunRequest]:
    """For every quota-stopped run of the meet-month market assets whose quota has reset, one
    request per meet-month it left undone, for the assets that month still lacks."""
    requests = []
    for record, assets, tags in _stopped_and_reset(instance, now, MONTH_ASSET_KEYS):
        run = record.dagster_run
        keys = month_keys_of_run(dict(run.tags))
        for key, missing in sorted(undone_partitions(instance, record, assets, keys).items()):
            names = "+".join(asset.to_user_string() for asset in missing)
            requests.append(
                RunRequest(
                    run_key=f"quota-resume:{run.run_id}:{names}:{key}",
                    partition_key=key,
                    asset_selection=list(missing),
                    tags=tags,
                )
            )
    return requests


@sensor(
    target=AssetSelection.assets(*_RESUMABLE),
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "After KRA's daily quota resets (00:00 KST), re-request the race days that a run "
        "stopped by the spent quota left undone."
    ),
)
def resume_after_daily_quota(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    requests = resume_requests(context.instance, datetime.now(UTC))
    yield from requests
    if not requests:
        yield SkipReason("no race day waits for a daily quota that has reset")


@sensor(
    job=market_history,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "After KRA's daily quota resets (00:00 KST), re-request the meet-months of the market "
        "history that a run stopped by the spent quota left undone (only their missing assets)."
    ),
)
def resume_market_history_after_daily_quota(
    context: SensorEvaluationContext,
) -> Iterator[RunRequest | SkipReason]:
    requests = month_resume_requests(context.instance, datetime.now(UTC))
    yield from requests
    if not requests:
        yield SkipReason("no meet-month of the market history waits for a quota that has reset")
