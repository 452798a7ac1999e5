"""Stage 3, enriched: entrants joined with horse, jockey and trainer details (cached 7 days)."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from kra_pipeline import contract as c
from kra_pipeline.defs.race_days.checks import ENRICHED_CHECKS, check_enrichment_coverage
from kra_pipeline.defs.race_days.collected import collected_race_day, selected_races
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.batch import RACE_DAY_BACKFILL_POLICY, BatchReport, race_days_of
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions
from kra_pipeline.defs.shared.policy import KRA_POOL, KRA_RETRY_POLICY
from kra_pipeline.defs.shared.preview import races_markdown
from kra_pipeline.defs.shared.resources import (
    KraApiResource,
    RaceSelection,
    RaceStoreResource,
    ReferenceCache,
)
from kra_pipeline.enrichment.fetch import enrich_races
from kra_pipeline.store import enriched, race_days


@asset(
    name=c.ENRICHED_ASSET,
    partitions_def=race_day_partitions,
    deps=[collected_race_day],
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    backfill_policy=RACE_DAY_BACKFILL_POLICY,
    group_name=Group.RACE_DAYS,
    kinds={"python"},
    check_specs=ENRICHED_CHECKS,
    description="Entrants joined with horse, jockey and trainer form (details cached 7 days).",
)
def enriched_race_day(
    context: AssetExecutionContext,
    kra_open_api: KraApiResource,
    race_store: RaceStoreResource,
    race_selection: RaceSelection,
    reference_cache: ReferenceCache,
) -> MaterializeResult:
    report = BatchReport(context)
    with (
        race_store.writable() as engine,
        kra_open_api.client() as client,
        report.keeping_finished(),
    ):
        for key, race_date, meet in race_days_of(context):
            races = selected_races(
                race_days.load_collected_race_day(engine, race_date, meet), race_selection
            )
            outcome = enrich_races(engine, client, races, max_age=reference_cache.max_age)
            enriched.replace_enriched_race_day(
                engine, race_date, meet, outcome.rows, race_numbers=race_selection.chosen()
            )
            for plan in outcome.plans:
                if plan.missing:
                    context.log.info(
                        f"{len(plan.missing)} {plan.kind} details fetched by {plan.how}"
                    )
            metadata = {
                c.RACE_COUNT: len(races),
                names.ENRICHED_ENTRY_COUNT: len(outcome.rows),
                names.MISSING_DETAIL_COUNT: outcome.missing_detail_count,
                c.API_CALLS: outcome.api_calls,
                names.PREVIEW: MetadataValue.md(races_markdown(races)),
            }
            report.add(key, metadata, [check_enrichment_coverage(outcome.rows)])
    return report.result()
