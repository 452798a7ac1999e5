"""The market job: a race day's pool grids, with the scratches and track reports fetched on
the same pass once its results are stored."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from kra_pipeline.defs.market.assets import race_day_confirmed_odds, race_day_dividends
from kra_pipeline.defs.scratches.assets import race_day_scratches
from kra_pipeline.defs.shared.names import COLLECT_MARKET_JOB
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
