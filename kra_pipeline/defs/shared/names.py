"""Names only the Dagster side reads: the assets, job, pool and resource keys the REST API never
asks for, Dagster's own range tags, and the materialization metadata the assets write for the UI
and the sensors (what both sides read stays in `kra_pipeline.contract`)."""

# --- assets and jobs -------------------------------------------------------------------------
# API4_3 month answers, one partition per month (YYYYMM) x meet: the source of past race days.
RAW_MONTH_ASSET = "raw_race_month"
MONTH_FORMAT = "%Y%m"
FORM_ASSET = "entrant_form"
MODEL_ASSET = "race_model"
PREDICTIONS_ASSET = "race_predictions"
CONFIRMED_ODDS_ASSET = "race_day_confirmed_odds"
SCRATCHES_ASSET = "race_day_scratches"  # API9_1 raceHorseCancelInfo_1
TRACK_ASSET = "race_day_track"
ENTRY_SHEET_ASSET = "upcoming_entry_sheet"
COLLECT_MARKET_JOB = "collect_race_market"
# The race morning: collect the day's card (body weights, scratches) and predict from it.
PREDICT_MORNING_JOB = "predict_race_morning_card"
PREDICT_MORNING_SCHEDULE = "predict_race_morning"
TRACK_RECORD_ASSET = "prediction_track_record"

# The Dagster concurrency pool of every step that calls KRA, and the resource key of the client.
KRA_POOL = "kra_open_api"
KRA_CLIENT_RESOURCE = "kra_open_api"

# --- run tags --------------------------------------------------------------------------------
# Set on a run the resume sensor requested: the id of the run it resumes.
RESUMES_RUN_TAG = "kra/resumes_run"
# A run of many partitions (a backfill batch) names its first and last key instead of one.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# --- materialization metadata ----------------------------------------------------------------
ENTRY_COUNT = "entry_count"
RACE_NUMBERS = "race_numbers"
ENRICHED_ENTRY_COUNT = "enriched_entry_count"
MISSING_DETAIL_COUNT = "missing_detail_count"
PREVIEW = "preview"
# Where a raw race day came from: per day or from the stored month answer, and why the month
# path was not taken when it should have been.
RAW_SOURCE = "source"
RAW_SOURCE_MONTH = "source_month"
RAW_SOURCE_FALLBACK = "source_fallback"
RACE_DAY_COUNT = "race_day_count"
RACE_DATES = "race_dates"
# entrant_form: entrants without any earlier start in the store.
FIRST_START_COUNT = "first_start_count"
COMBINATION_COUNT = "combination_count"
CAPPED_COUNT = "capped_count"
DUPLICATE_COUNT = "duplicate_count"
PLACEHOLDER_COUNT = "placeholder_count"
POOL_COUNTS = "pool_counts"
SCRATCH_COUNT = "scratch_count"
# race_day_track: races whose track KRA had measured.
MEASURED_RACE_COUNT = "measured_race_count"
# upcoming_entry_sheet: entrants the sheet listed for the first time in this materialization.
FIRST_SEEN_COUNT = "first_seen_count"
