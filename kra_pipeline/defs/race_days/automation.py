"""When race days are collected without anyone asking.

Racing in Korea ends by early evening, and results are posted minutes after each race, so
the evening schedule collects the day that just finished for every meet (a day without
racing costs one call). A sensor then re-collects any recent day whose card was collected
before its races had run, so results never stay missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    EventLogRecord,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    schedule,
    sensor,
)

from kra_pipeline.contract import (
    COLLECTED_ASSET,
    DATE_FORMAT,
    KST,
    TIMEZONE,
    JobType,
    job_type_tags,
    kst_today,
)
from kra_pipeline.defs.race_days.jobs import collect_races
from kra_pipeline.defs.shared.materializations import finished_races, newest_materialization
from kra_pipeline.defs.shared.partitions import MEETS, race_day_key

EVENING_CRON = "30 21 * * *"
RECOLLECT_LOOKBACK_DAYS = 3


def _run_request(race_date: str, meet: str, run_key: str) -> RunRequest:
    return RunRequest(
        run_key=run_key,
        partition_key=race_day_key(race_date, meet),
        tags=job_type_tags(JobType.COLLECTION),
    )


@schedule(
    job=collect_races,
    cron_schedule=EVENING_CRON,
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every evening (21:30 KST) collect the day's races of all meets.",
)
def evening_collection(context: ScheduleEvaluationContext) -> Iterator[RunRequest]:
    race_date = context.scheduled_execution_time.astimezone(KST).strftime(DATE_FORMAT)
    for meet in MEETS:
        yield _run_request(race_date, meet, f"evening:{race_date}|{meet}")


def needs_recollection(record: EventLogRecord, race_date: str) -> bool:
    """A card stored before its race day was over, with races still lacking results."""
    counts = finished_races(record)
    if counts is None or counts[1] >= counts[0]:
        return False
    day_over = datetime.strptime(race_date, DATE_FORMAT).replace(tzinfo=KST) + timedelta(days=1)
    return record.timestamp < day_over.timestamp()


@sensor(
    job=collect_races,
    minimum_interval_seconds=1800,
    default_status=DefaultSensorStatus.STOPPED,
    description="Re-collect recent race days whose card was stored before the races had run.",
)
def recollect_unfinished_days(
    context: SensorEvaluationContext,
) -> Iterator[RunRequest | SkipReason]:
    today = kst_today()
    requested = 0
    for days_back in range(1, RECOLLECT_LOOKBACK_DAYS + 1):
        race_date = (today - timedelta(days=days_back)).strftime(DATE_FORMAT)
        for meet in MEETS:
            partition = str(race_day_key(race_date, meet))
            record = newest_materialization(context.instance, COLLECTED_ASSET, partition)
            if record is not None and needs_recollection(record, race_date):
                requested += 1
                run_key = f"recollect:{partition}:{record.storage_id}"
                yield _run_request(race_date, meet, run_key)
    if not requested:
        yield SkipReason("every recent race day was collected after its races had run")
