"""Fill a Dagster instance with many finished race-day runs and their materializations, fast.

`instance.add_run` and `report_runless_asset_event` commit once per row (34 ms and 69 ms each
on this kind of disk), so 10,000 runs and 30,000 materializations would take most of an hour.
Instead the rows Dagster itself would write are built with Dagster's own serialisation and
insert statements (`_get_run_insertion_values`, `prepare_insert_event`, the asset-key and
asset-tag index updates) and written in large transactions; PostgreSQL uses the storage's
`store_event_batch`. Each run gets the partition tags, `kra/job_type`, start and end times;
each partition gets raw, collected and enriched materializations carrying that run's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    EventLogEntry,
)
from dagster._core.events import StepMaterializationData
from dagster._core.storage.runs.schema import RunsTable, RunTagsTable

from kra_pipeline.defs.shared.partitions import race_day_partitions

ASSETS = ("raw_race_day", "collected_race_day", "enriched_race_day")
JOB_NAME = "collect_races"
CHUNK = 1000


def recent_partition_keys(count: int) -> list[str]:
    """The newest `count` race-day partition keys (date × meet)."""
    return race_day_partitions.get_partition_keys()[-count:]


def seed_runs(instance: DagsterInstance, keys: Sequence[str], caller: str) -> list[str]:
    """One finished collect_races run per partition, every other one launched through the API
    by `caller`; returns the run ids in partition order."""
    storage = instance.run_storage
    start = datetime.now(UTC) - timedelta(seconds=60 * len(keys))
    run_ids: list[str] = []
    for offset in range(0, len(keys), CHUNK):
        runs, tags = [], []
        for index, key in enumerate(keys[offset : offset + CHUNK], start=offset):
            run_tags = {
                **race_day_partitions.get_tags_for_partition_key(key),
                "kra/job_type": "collection",
            }
            if index % 2:
                run_tags["kra/caller"] = caller
            run = DagsterRun(
                job_name=JOB_NAME,
                run_id=str(uuid.uuid4()),
                status=DagsterRunStatus.SUCCESS if index % 20 else DagsterRunStatus.FAILURE,
                tags=run_tags,
            )
            created = start + timedelta(seconds=60 * index)
            values = storage._get_run_insertion_values(run, created)
            values |= {"start_time": created.timestamp() + 1, "end_time": created.timestamp() + 9}
            runs.append(values)
            tags += [{"run_id": run.run_id, "key": k, "value": v} for k, v in run_tags.items()]
            run_ids.append(run.run_id)
        with storage.connect() as conn:
            conn.execute(RunsTable.insert(), runs)
            conn.execute(RunTagsTable.insert(), tags)
            if hasattr(conn, "commit") and conn.in_transaction():
                conn.commit()
    return run_ids


def _entry(asset: str, key: str, run_id: str, timestamp: float) -> EventLogEntry:
    metadata = {"race_count": 11, "entry_count": 120, "api_calls": 1}
    if asset == "collected_race_day":
        metadata = {"race_count": 11, "entry_count": 120, "finished_race_count": 11}
    elif asset == "enriched_race_day":
        metadata = {
            "race_count": 11,
            "enriched_entry_count": 120,
            "missing_detail_count": 0,
            "api_calls": 0,
        }
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name=JOB_NAME,
        step_key=asset,
        event_specific_data=StepMaterializationData(
            AssetMaterialization(AssetKey(asset), partition=key, metadata=metadata)
        ),
    )
    return EventLogEntry(
        error_info=None,
        level="DEBUG",
        user_message="",
        run_id=run_id,
        timestamp=timestamp,
        step_key=asset,
        job_name=JOB_NAME,
        dagster_event=event,
    )


def seed_materializations(
    instance: DagsterInstance, keys: Sequence[str], run_ids: Sequence[str]
) -> int:
    """Raw, collected and enriched materializations of every partition; returns how many."""
    storage = instance.event_log_storage
    base = datetime.now(UTC).timestamp() - 60 * len(keys)
    entries = [
        _entry(asset, key, run_id, base + 60 * index + step)
        for index, (key, run_id) in enumerate(zip(keys, run_ids, strict=True))
        for step, asset in enumerate(ASSETS, start=2)
    ]
    if hasattr(storage, "index_transaction") and storage.__class__.__name__.startswith("Sqlite"):
        _sqlite_batch(storage, entries)
    else:
        for offset in range(0, len(entries), CHUNK):
            storage.store_event_batch(entries[offset : offset + CHUNK])
    return len(entries)


def _sqlite_batch(storage: object, entries: Sequence[EventLogEntry]) -> None:
    """What SqliteEventLogStorage.store_event does for asset events, one transaction in all."""
    last: dict[AssetKey, tuple[EventLogEntry, int]] = {}
    with storage.index_transaction() as conn:  # type: ignore[attr-defined]
        for entry in entries:
            result = conn.execute(storage.prepare_insert_event(entry))  # type: ignore[attr-defined]
            event_id = int(result.inserted_primary_key[0])
            storage._store_asset_event_tags(conn, [entry], [event_id])  # type: ignore[attr-defined]
            last[entry.dagster_event.asset_key] = (entry, event_id)
        for entry, event_id in last.values():
            storage._store_asset_event(conn, entry, event_id)  # type: ignore[attr-defined]
