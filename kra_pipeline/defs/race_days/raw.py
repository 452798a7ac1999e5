"""Stage 1, raw: the answer for one race day, archived in the race store.

A past day is cut out of its meet's API4_3 month answer (no call once the month is stored); a
recent one is the API214_1 answer, verbatim (see `kra_pipeline.history.sources`).

Only the steps that call KRA sit in the `kra_open_api` pool, so API steps are serialised across
runs while parsing and storing run freely.
"""

from typing import Any

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from kra_pipeline import contract as c
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.batch import RACE_DAY_BACKFILL_POLICY, BatchReport, race_days_of
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions
from kra_pipeline.defs.shared.policy import KRA_POOL, KRA_RETRY_POLICY
from kra_pipeline.defs.shared.preview import races_markdown
from kra_pipeline.defs.shared.resources import KraApiResource, RaceStoreResource
from kra_pipeline.history.sources import RawDay, collect_raw_day
from kra_pipeline.races.models import Race, group_races, parse_race_day


@asset(
    name=c.RAW_ASSET,
    partitions_def=race_day_partitions,
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    backfill_policy=RACE_DAY_BACKFILL_POLICY,
    group_name=Group.RACE_DAYS,
    kinds={"python"},
    description="The API214_1 answer for one race day and meet, all pages, as KRA sent it.",
)
def raw_race_day(
    context: AssetExecutionContext, kra_open_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    report = BatchReport(context)
    with (
        kra_open_api.client() as client,
        race_store.writable() as engine,
        report.keeping_finished(),
    ):
        for key, race_date, meet in race_days_of(context):
            raw = collect_raw_day(client, engine, race_date, meet)
            races = group_races(parse_race_day(raw.pages))
            context.log.info(
                f"{race_date} meet {meet}: {len(races)} races from {raw.source} in "
                f"{raw.api_calls} call(s)" + (f"; {raw.fallback}" if raw.fallback else "")
            )
            report.add(key, raw_metadata(raw, races))
    return report.result()


def raw_metadata(raw: RawDay, races: list[Race]) -> dict[str, Any]:
    """What a raw partition reports: counts, calls spent and where its rows came from."""
    metadata: dict[str, Any] = {
        c.RACE_COUNT: len(races),
        names.ENTRY_COUNT: sum(len(race.entrants) for race in races),
        c.API_CALLS: raw.api_calls,
        names.RAW_SOURCE: raw.source,
        names.PREVIEW: MetadataValue.md(races_markdown(races)),
    }
    if raw.month is not None:
        metadata[names.RAW_SOURCE_MONTH] = raw.month
    if raw.fallback is not None:
        metadata[names.RAW_SOURCE_FALLBACK] = raw.fallback
    return metadata
