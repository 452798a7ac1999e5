"""Stage 1, raw: the API214_1 answer for one race day, archived verbatim in the race store.

Only the steps that call KRA sit in the `kra_open_api` pool, so API steps are serialised across
runs while parsing and storing run freely.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from kra_pipeline import contract as c
from kra_pipeline.defs.partitions import race_day_partitions, split_race_day_key
from kra_pipeline.defs.race_days.policy import KRA_POOL, KRA_RETRY_POLICY
from kra_pipeline.defs.race_days.preview import races_markdown
from kra_pipeline.defs.resources import KraApiResource, RaceStoreResource
from kra_pipeline.kra.models import group_races, parse_race_day
from kra_pipeline.store import race_days


@asset(
    name=c.RAW_ASSET,
    partitions_def=race_day_partitions,
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    group_name="races",
    kinds={"python"},
    description="The API214_1 answer for one race day and meet, all pages, as KRA sent it.",
)
def raw_race_day(
    context: AssetExecutionContext, kra_open_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    with kra_open_api.client() as client:
        answer = client.fetch_race_day(meet, race_date)
        api_calls = client.stats.total_calls
    with race_store.writable() as engine:
        race_days.save_raw_race_day(engine, race_date, meet, answer.pages, api_calls)
    races = group_races(parse_race_day(answer.pages))
    context.log.info(f"{race_date} meet {meet}: {len(races)} races in {api_calls} call(s)")
    return MaterializeResult(
        metadata={
            c.RACE_COUNT: len(races),
            c.ENTRY_COUNT: sum(len(race.entrants) for race in races),
            c.API_CALLS: api_calls,
            c.PREVIEW: MetadataValue.md(races_markdown(races)),
        }
    )
