"""Reading the instance's materializations, as the sensors compare them."""

from __future__ import annotations

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, EventLogRecord


def newest_materialization(
    instance: DagsterInstance, asset: str, partition: str
) -> EventLogRecord | None:
    """The asset's newest materialization of one partition."""
    result = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition]), limit=1
    )
    return result.records[0] if result.records else None
