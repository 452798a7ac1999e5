"""Jobs over the race-day assets; partitioned by race day like the assets they select."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from kra_pipeline.contract import (
    COLLECT_CARDS_ONLY_JOB,
    COLLECT_WITH_ENRICHMENT_JOB,
)
from kra_pipeline.defs.race_days.collected import collected_race_day
from kra_pipeline.defs.race_days.enriched import enriched_race_day
from kra_pipeline.defs.race_days.raw import raw_race_day

collect_races = define_asset_job(
    COLLECT_WITH_ENRICHMENT_JOB,
    selection=AssetSelection.assets(raw_race_day, collected_race_day, enriched_race_day),
    description="Fetch, type and enrich one race day of one meet.",
)

collect_race_cards = define_asset_job(
    COLLECT_CARDS_ONLY_JOB,
    selection=AssetSelection.assets(raw_race_day, collected_race_day),
    description="Fetch and type one race day without enrichment.",
)
