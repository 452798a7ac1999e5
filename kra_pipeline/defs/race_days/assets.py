"""The race-day assets: raw answer → typed card and results → enriched entrants.

Each asset writes its rows to the race store (one transaction per race day) and reports the
metadata the REST status and the UI read. Only the assets that call KRA sit in the `kra_api`
pool, so API steps are serialised across runs while parsing runs freely.
"""

from dagster import (
    AssetExecutionContext,
    Backoff,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from kra_pipeline.defs.partitions import race_day_partitions, split_race_day_key
from kra_pipeline.defs.race_days.checks import (
    COLLECTED_CHECKS,
    ENRICHED_CHECKS,
    check_enrichment_coverage,
    collected_check_results,
)
from kra_pipeline.defs.race_days.preview import races_markdown
from kra_pipeline.defs.resources import (
    KraApiResource,
    RaceSelection,
    RaceStoreResource,
    ReferenceCache,
)
from kra_pipeline.enrichment.fetch import enrich_races
from kra_pipeline.kra.models import Race, group_races, parse_race_day
from kra_pipeline.store import repository
from kra_pipeline.store.cards import load_race_cards

KRA_POOL = "kra_api"
# Transient faults the client could not absorb (its own retries are spent) retry the step.
KRA_RETRY_POLICY = RetryPolicy(
    max_retries=3, delay=15, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)


def _selected(races: list[Race], selection: RaceSelection) -> list[Race]:
    chosen = selection.chosen()
    return [race for race in races if chosen is None or race.race_no in chosen]


@asset(
    partitions_def=race_day_partitions,
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    group_name="races",
    kinds={"python"},
    description="The API214_1 answer for one race day and meet, all pages, as KRA sent it.",
)
def raw_race_day(
    context: AssetExecutionContext, kra_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    with kra_api.client() as client:
        answer = client.fetch_race_day(meet, race_date)
        api_calls = client.stats.total_calls
    repository.save_raw_race_day(race_store.engine(), race_date, meet, answer.pages, api_calls)
    races = group_races(parse_race_day(answer.pages))
    context.log.info(f"{race_date} meet {meet}: {len(races)} races in {api_calls} call(s)")
    return MaterializeResult(
        metadata={
            "race_count": len(races),
            "entry_count": sum(len(race.entrants) for race in races),
            "api_calls": api_calls,
            "preview": MetadataValue.md(races_markdown(races)),
        }
    )


@asset(
    partitions_def=race_day_partitions,
    deps=[raw_race_day],
    group_name="races",
    kinds={"python"},
    check_specs=COLLECTED_CHECKS,
    description="Typed races and entrants; results kept apart from the pre-race card.",
)
def collected_race_day(
    context: AssetExecutionContext, race_store: RaceStoreResource, race_selection: RaceSelection
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    engine = race_store.engine()
    pages = repository.load_raw_race_day(engine, race_date, meet)
    if pages is None:
        raise ValueError(
            f"no raw answer stored for {race_date} meet {meet}: materialize raw_race_day first"
        )
    races = _selected(group_races(parse_race_day(pages)), race_selection)
    repository.replace_collected_race_day(
        engine, race_date, meet, races, race_numbers=race_selection.chosen()
    )
    stored = repository.load_collected_race_day(engine, race_date, meet)
    return MaterializeResult(
        metadata={
            "race_count": len(stored),
            "entry_count": sum(len(race.entrants) for race in stored),
            "finished_race_count": sum(1 for race in stored if race.is_finished),
            "race_numbers": [race.race_no for race in stored],
            "preview": MetadataValue.md(races_markdown(stored)),
        },
        check_results=collected_check_results(stored, load_race_cards(engine, race_date, meet)),
    )


@asset(
    partitions_def=race_day_partitions,
    deps=[collected_race_day],
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    group_name="races",
    kinds={"python"},
    check_specs=ENRICHED_CHECKS,
    description="Entrants joined with horse, jockey and trainer form (details cached 7 days).",
)
def enriched_race_day(
    context: AssetExecutionContext,
    kra_api: KraApiResource,
    race_store: RaceStoreResource,
    race_selection: RaceSelection,
    reference_cache: ReferenceCache,
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    engine = race_store.engine()
    races = _selected(repository.load_collected_race_day(engine, race_date, meet), race_selection)
    with kra_api.client() as client:
        outcome = enrich_races(engine, client, races, max_age=reference_cache.max_age)
    repository.replace_enriched_race_day(
        engine, race_date, meet, outcome.rows, race_numbers=race_selection.chosen()
    )
    for plan in outcome.plans:
        if plan.missing:
            context.log.info(f"{len(plan.missing)} {plan.kind} details fetched by {plan.how}")
    return MaterializeResult(
        metadata={
            "race_count": len(races),
            "enriched_entry_count": len(outcome.rows),
            "missing_detail_count": outcome.missing_detail_count,
            "api_calls": outcome.api_calls,
            "preview": MetadataValue.md(races_markdown(races)),
        },
        check_results=[check_enrichment_coverage(outcome.rows)],
    )


race_day_assets = [raw_race_day, collected_race_day, enriched_race_day]
