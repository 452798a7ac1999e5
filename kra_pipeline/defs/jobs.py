"""Partitioned jobs over the race-day assets."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from kra_pipeline.contract import COLLECT_CARDS_ONLY_JOB, COLLECT_WITH_ENRICHMENT_JOB
from kra_pipeline.defs.race_day_assets import collected_race_day, enriched_race_day, raw_race_day
from kra_pipeline.partitions import race_day_partitions

collect_races = define_asset_job(
    COLLECT_WITH_ENRICHMENT_JOB,
    selection=AssetSelection.assets(raw_race_day, collected_race_day, enriched_race_day),
    partitions_def=race_day_partitions,
    description="Fetch, type and enrich one race day of one meet.",
)

collect_race_cards = define_asset_job(
    COLLECT_CARDS_ONLY_JOB,
    selection=AssetSelection.assets(raw_race_day, collected_race_day),
    partitions_def=race_day_partitions,
    description="Fetch and type one race day without enrichment.",
)
