"""Reading the instance's materializations, as the sensors compare them."""

from __future__ import annotations

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, EventLogRecord

from kra_pipeline.contract import (
    FINISHED_RACE_COUNT,
    RACE_COUNT,
)


def newest_materialization(
    instance: DagsterInstance, asset: str, partition: str
) -> EventLogRecord | None:
    """The asset's newest materialization of one partition."""
    result = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition]), limit=1
    )
    return result.records[0] if result.records else None


def finished_races(record: EventLogRecord) -> tuple[int, int] | None:
    """(races, races with results) a collected race day's materialization recorded, or None
    when it recorded neither."""
    materialization = record.asset_materialization
    metadata = materialization.metadata if materialization else {}
    races, finished = metadata.get(RACE_COUNT), metadata.get(FINISHED_RACE_COUNT)
    if races is None or finished is None:
        return None
    return int(races.value), int(finished.value)
