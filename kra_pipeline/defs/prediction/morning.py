"""The race morning: once KRA has weighed the horses and listed the scratches, and before the
first post (about 10:30 KST), collect the day's card and predict each meet from its `morning`
card. Only meets whose entry sheet listed runners for the day are asked for."""

from collections.abc import Iterator

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from kra_pipeline import contract as c
from kra_pipeline.defs.prediction.predictions import race_predictions
from kra_pipeline.defs.prediction.sensor import card_run_config
from kra_pipeline.defs.race_days.collected import collected_race_day
from kra_pipeline.defs.race_days.raw import raw_race_day
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.materializations import newest_materialization
from kra_pipeline.defs.shared.partitions import MEETS, race_day_key

MORNING_CRON = "30 9 * * *"  # KST: body weights are out, the first race is about 10:30

predict_race_morning_card = define_asset_job(
    names.PREDICT_MORNING_JOB,
    selection=AssetSelection.assets(raw_race_day, collected_race_day, race_predictions),
    description="Collect the race day's card and predict it from the morning card.",
)


@schedule(
    name=names.PREDICT_MORNING_SCHEDULE,
    job=predict_race_morning_card,
    cron_schedule=MORNING_CRON,
    execution_timezone=c.TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description=(
        "Every race morning (09:30 KST) re-predict the day from its card with body weights and "
        "scratches, before the first post."
    ),
)
def predict_race_morning(context: ScheduleEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    race_date = context.scheduled_execution_time.astimezone(c.KST).strftime(c.DATE_FORMAT)
    asked = False
    for meet in MEETS:
        partition = str(race_day_key(race_date, meet))
        sheet = newest_materialization(context.instance, names.ENTRY_SHEET_ASSET, partition)
        metadata = sheet.asset_materialization.metadata if sheet else {}
        if not getattr(metadata.get(names.ENTRY_COUNT), "value", 0):
            continue
        asked = True
        yield RunRequest(
            run_key=f"morning:{partition}",
            partition_key=race_day_key(race_date, meet),
            run_config=card_run_config(c.CardKind.MORNING),
            tags=c.job_type_tags(c.JobType.PREDICTION),
        )
    if not asked:
        yield SkipReason(f"no meet has an entry sheet listing runners on {race_date}")
