"""`upcoming_entry_sheet`: the card of a race day before it is run, from KRA's entry sheet
(API26_2, out about two days ahead), kept as first seen.

Only today and the UPCOMING_DAYS after it are fetched: for a past day the sheet's career
counters would be today's, and the real card and results are `collected_race_day`'s. A sheet
not yet published is an empty answer, stored as nothing and retried by the schedule.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from dagster import (
    AssetExecutionContext,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    ScheduleEvaluationContext,
    asset,
    define_asset_job,
    schedule,
)

from kra_pipeline import contract as c
from kra_pipeline.contract import (
    KST,
    kst_today,
)
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import (
    MEETS,
    race_day_key,
    race_day_partitions,
    split_race_day_key,
)
from kra_pipeline.defs.shared.policy import KRA_POOL, KRA_RETRY_POLICY
from kra_pipeline.defs.shared.refusals import only_this_source
from kra_pipeline.defs.shared.resources import KraApiResource, RaceStoreResource
from kra_pipeline.kra import upcoming as kra_upcoming
from kra_pipeline.kra.upcoming import parse_entry_sheet
from kra_pipeline.store.upcoming import keep_first_seen

# Sheets come out Wednesday 15:00 (Busan), Thursday 15:00 (Jeju) and 17:00 (Seoul): an evening
# pass catches each on its day, and again the next days in case one was late.
SHEET_CRON = "0 18 * * *"


def is_upcoming(race_date: str, today: str) -> bool:
    """Today or one of the UPCOMING_DAYS after it (dates YYYYMMDD)."""
    last = datetime.strptime(today, c.DATE_FORMAT) + timedelta(days=c.UPCOMING_DAYS)
    return today <= race_date <= last.strftime(c.DATE_FORMAT)


@asset(
    name=names.ENTRY_SHEET_ASSET,
    partitions_def=race_day_partitions,
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    group_name=Group.UPCOMING,
    kinds={"python"},
    description=(
        f"The card of an upcoming race day from the entry sheet ({kra_upcoming.ENTRY_SHEET_API}), "
        f"up to {c.UPCOMING_DAYS} days ahead, kept as first seen (career counters as snapshots)."
    ),
)
def upcoming_entry_sheet(
    context: AssetExecutionContext, kra_open_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    if not is_upcoming(race_date, kst_today().strftime(c.DATE_FORMAT)):
        context.log.info(f"{race_date} is past: its card is {c.COLLECTED_ASSET}'s; no call")
        return MaterializeResult(metadata={names.ENTRY_COUNT: 0, c.API_CALLS: 0})
    with kra_open_api.client() as client, only_this_source(kra_upcoming.ENTRY_SHEET_API):
        rows = parse_entry_sheet(client.fetch_entry_sheet(meet, race_date))
        calls = client.stats.calls[kra_upcoming.ENTRY_SHEET_API]
    with race_store.writable() as engine:
        added = keep_first_seen(engine, race_date, meet, rows)
    races = sorted({row.race_no for row in rows})
    lines = ["| race | entrants | post time |", "|---|---|---|"] + [
        f"| {race} | {sum(1 for r in rows if r.race_no == race)} | "
        f"{next((r.post_time for r in rows if r.race_no == race and r.post_time), '-')} |"
        for race in races
    ]
    return MaterializeResult(
        metadata={
            c.RACE_COUNT: len(races),
            names.ENTRY_COUNT: len(rows),
            names.FIRST_SEEN_COUNT: added,
            c.API_CALLS: calls,
            names.PREVIEW: MetadataValue.md("\n".join(lines) if rows else "_Not published yet._"),
        }
    )


collect_upcoming_cards = define_asset_job(
    c.COLLECT_UPCOMING_JOB,
    selection=[names.ENTRY_SHEET_ASSET],
    partitions_def=race_day_partitions,
    description="Fetch the entry sheet of an upcoming race day (kept as first seen).",
)


@schedule(
    job=collect_upcoming_cards,
    cron_schedule=SHEET_CRON,
    execution_timezone=c.TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description=f"Every evening (18:00 KST) fetch the next {c.UPCOMING_DAYS} days' entry sheets.",
)
def evening_entry_sheets(context: ScheduleEvaluationContext) -> Iterator[RunRequest]:
    today = context.scheduled_execution_time.astimezone(KST)
    for ahead in range(1, c.UPCOMING_DAYS + 1):
        race_date = (today + timedelta(days=ahead)).strftime(c.DATE_FORMAT)
        for meet in MEETS:
            yield RunRequest(
                run_key=f"sheet:{today:%Y%m%d}:{race_date}|{meet}",
                partition_key=race_day_key(race_date, meet),
                tags=c.job_type_tags(c.JobType.COLLECTION),
            )
