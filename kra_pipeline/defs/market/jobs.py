"""The market jobs: a race day's pool grids, with the scratches and track reports fetched on
the same pass once its results are stored; and the market history by meet x month."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from kra_pipeline.defs.market.assets import race_day_confirmed_odds, race_day_dividends
from kra_pipeline.defs.market.months import market_month_assets
from kra_pipeline.defs.scratches.assets import race_day_scratches
from kra_pipeline.defs.shared.names import COLLECT_MARKET_JOB, MARKET_HISTORY_JOB
from kra_pipeline.defs.shared.partitions import race_month_partitions
from kra_pipeline.defs.track.assets import race_day_track

collect_race_market = define_asset_job(
    COLLECT_MARKET_JOB,
    selection=AssetSelection.assets(
        race_day_dividends, race_day_confirmed_odds, race_day_scratches, race_day_track
    ),
    description=(
        "Fetch the dividends, confirmed odds, scratches and track reports of a race day whose "
        "results are stored (one call per source and day)."
    ),
)

market_history = define_asset_job(
    MARKET_HISTORY_JOB,
    selection=AssetSelection.assets(*market_month_assets),
    partitions_def=race_month_partitions,
    description=(
        "Fetch a meet-month's pool sales (API179_1) and every pool grid (API28_1, API29_1, "
        "API30_1) in about one call per API, and check them against the month's results."
    ),
)
