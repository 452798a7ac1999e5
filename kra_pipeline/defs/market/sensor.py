"""Fetch a race day's dividends and odds once its results are stored: the pool grids exist only
after the races, so this waits for a collected day whose every race has finished."""

from collections.abc import Iterable, Iterator
from datetime import timedelta

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    EventLogRecord,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from kra_pipeline.contract import (
    COLLECTED_ASSET,
    DATE_FORMAT,
    DIVIDENDS_ASSET,
    JobType,
    job_type_tags,
    kst_today,
)
from kra_pipeline.defs.market.jobs import collect_race_market
from kra_pipeline.defs.race_days.automation import RECOLLECT_LOOKBACK_DAYS
from kra_pipeline.defs.shared.materializations import finished_races, newest_materialization
from kra_pipeline.defs.shared.partitions import MEETS, race_day_key


def _all_finished(record: EventLogRecord) -> bool:
    counts = finished_races(record)
    return counts is not None and 0 < counts[0] <= counts[1]


def market_requests(instance: DagsterInstance, race_dates: Iterable[str]) -> list[RunRequest]:
    """A run for each race day whose results are all stored and whose pools were not fetched
    since (one per collected materialization, so a re-collection fetches them again)."""
    requests = []
    for race_date in race_dates:
        for meet in MEETS:
            partition = str(race_day_key(race_date, meet))
            collected = newest_materialization(instance, COLLECTED_ASSET, partition)
            if collected is None or not _all_finished(collected):
                continue
            fetched = newest_materialization(instance, DIVIDENDS_ASSET, partition)
            if fetched is not None and fetched.storage_id > collected.storage_id:
                continue
            requests.append(
                RunRequest(
                    run_key=f"market:{partition}:{collected.storage_id}",
                    partition_key=race_day_key(race_date, meet),
                    tags=job_type_tags(JobType.COLLECTION),
                )
            )
    return requests


@sensor(
    job=collect_race_market,
    minimum_interval_seconds=1800,
    default_status=DefaultSensorStatus.STOPPED,
    description="Fetch dividends and confirmed odds of recent race days once results are in.",
)
def collect_market_after_results(
    context: SensorEvaluationContext,
) -> Iterator[RunRequest | SkipReason]:
    today = kst_today()
    dates = [
        (today - timedelta(days=back)).strftime(DATE_FORMAT)
        for back in range(RECOLLECT_LOOKBACK_DAYS + 1)
    ]
    requests = market_requests(context.instance, dates)
    yield from requests
    if not requests:
        yield SkipReason("no recent race day with all results stored lacks its dividends")
