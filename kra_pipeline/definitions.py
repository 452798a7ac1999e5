"""The Dagster code location `kra`: race-day assets and their checks, the other sources of a
race day (market, scratches, upcoming entry sheets), the features computed from the store
(entrant_form, the dataset export), prediction, and the jobs, schedules and sensors."""

from dagster import Definitions, in_process_executor

from kra_pipeline.defs.automation import evening_collection, recollect_unfinished_days
from kra_pipeline.defs.features import export_dataset, feature_assets, weekly_dataset_export
from kra_pipeline.defs.history.quota_resume import resume_after_daily_quota
from kra_pipeline.defs.history.raw_month import raw_race_month
from kra_pipeline.defs.jobs import collect_race_cards, collect_race_market, collect_races
from kra_pipeline.defs.market import market_assets
from kra_pipeline.defs.market.sensor import collect_market_after_results
from kra_pipeline.defs.prediction import predict_upcoming_days, prediction_assets
from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.resources import default_resources
from kra_pipeline.defs.scratches import scratch_assets
from kra_pipeline.defs.track import track_assets
from kra_pipeline.defs.upcoming import collect_upcoming_cards, evening_entry_sheets, upcoming_assets

defs = Definitions(
    assets=[
        *race_day_assets,
        raw_race_month,
        *market_assets,
        *scratch_assets,
        *track_assets,
        *upcoming_assets,
        *feature_assets,
        *prediction_assets,
    ],
    jobs=[
        collect_races,
        collect_race_cards,
        collect_race_market,
        collect_upcoming_cards,
        export_dataset,
    ],
    schedules=[evening_collection, evening_entry_sheets, weekly_dataset_export],
    sensors=[
        recollect_unfinished_days,
        collect_market_after_results,
        resume_after_daily_quota,
        predict_upcoming_days,
    ],
    resources=default_resources(),
    # raw → collected → enriched is a strict chain: a process per step would buy no
    # parallelism and cost a Python + Dagster start-up per step. Runs still run side by side.
    executor=in_process_executor,
)
