"""The raw month asset: one meet's API4_3 answer for a month, stored verbatim.

Race-day partitions of that month then take their raw rows from the store with no call; the
raw race-day step fetches a missing month itself, so materializing this asset first is an
optional prefetch (and the place to see a month's calendar), never a requirement.
"""

from dagster import AssetExecutionContext, MaterializeResult, asset

from kra_pipeline import contract as c
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_month_partitions, split_race_month_key
from kra_pipeline.defs.shared.policy import KRA_POOL, KRA_RETRY_POLICY
from kra_pipeline.defs.shared.resources import KraApiResource, RaceStoreResource
from kra_pipeline.history.sources import fetch_month, month_items
from kra_pipeline.races.fields import compact_date


@asset(
    name=names.RAW_MONTH_ASSET,
    partitions_def=race_month_partitions,
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    group_name=Group.RACE_DAYS,
    kinds={"python"},
    description="The API4_3 answer for one meet's month, all pages, as KRA sent it: the "
    "source of past race days and their calendar.",
)
def raw_race_month(
    context: AssetExecutionContext, kra_open_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    month, meet = split_race_month_key(context.partition_key)
    with kra_open_api.client() as client, race_store.writable() as engine:
        stored, calls = fetch_month(client, engine, month, meet)
    items = month_items(stored.pages)
    dates = sorted({d for d in (compact_date(i.get("rcDate")) for i in items) if d})
    context.log.info(f"{month} meet {meet}: {len(dates)} race days in {calls} call(s)")
    return MaterializeResult(
        metadata={
            names.RACE_DAY_COUNT: len(dates),
            names.RACE_DATES: dates,
            names.ENTRY_COUNT: len(items),
            c.API_CALLS: calls,
        }
    )
