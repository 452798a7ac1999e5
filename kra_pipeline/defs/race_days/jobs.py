"""Jobs over the race-day assets; partitioned by race day like the assets they select."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from kra_pipeline.contract import (
    COLLECT_CARDS_ONLY_JOB,
    COLLECT_MARKET_JOB,
    COLLECT_WITH_ENRICHMENT_JOB,
)
from kra_pipeline.defs.market import market_assets
from kra_pipeline.defs.race_days import collected_race_day, enriched_race_day, raw_race_day
from kra_pipeline.defs.scratches import scratch_assets
from kra_pipeline.defs.track import track_assets

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

collect_race_market = define_asset_job(
    COLLECT_MARKET_JOB,
    selection=AssetSelection.assets(*market_assets, *scratch_assets, *track_assets),
    description=(
        "Fetch the dividends, confirmed odds, scratches and track reports of a race day whose "
        "results are stored (one call per source and day)."
    ),
)
