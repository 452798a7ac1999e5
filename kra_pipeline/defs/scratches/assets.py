"""Scratches with reasons (API9_1) per race day, joined to the card; a check says when API9_1
and the card's `winOdds == 0` disagree (gate numbers shift, and either side can lag)."""

from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
)

from kra_pipeline import contract as c
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import split_race_day_key
from kra_pipeline.defs.shared.refusals import only_this_source
from kra_pipeline.defs.shared.resources import KraApiResource, RaceStoreResource
from kra_pipeline.defs.shared.source_assets import problems_check, race_extra_asset
from kra_pipeline.store import race_days, scratches
from kra_pipeline.store.scratches import ScratchedEntrant

API = "API9_1"
AGREES_WITH_CARD = "scratches_agree_with_card"


def check_scratches_agree(rows: list[ScratchedEntrant]) -> AssetCheckResult:
    """Every API9_1 scratch is a card entrant with winOdds 0, and every such entrant is listed."""
    problems = []
    for row in rows:
        where = f"R{row.race_no} gate {row.gate_no}"
        if not row.listed:
            problems.append(f"{where}: winOdds 0 on the card but not listed by {API}")
        elif not row.on_card:
            problems.append(f"{where}: scratched by {API} but not on the card")
        elif not row.scratched_on_card:
            problems.append(f"{where}: scratched by {API} but has odds on the card")
    return problems_check(AGREES_WITH_CARD, names.SCRATCHES_ASSET, problems, scratches=len(rows))


@race_extra_asset(
    names.SCRATCHES_ASSET,
    Group.SCRATCHES,
    AGREES_WITH_CARD,
    "API9_1 scratches are the card's winOdds == 0 entrants",
    "Scratched entrants with KRA's reason (API9_1), joined to the card.",
)
def race_day_scratches(
    context: AssetExecutionContext, kra_open_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    items: list[dict[str, Any]] = []
    calls = 0
    # A day without racing has no scratches: no call (API9_1's quota is per day).
    if race_days.load_collected_race_day(race_store.engine(), race_date, meet):
        with kra_open_api.client() as client:
            with only_this_source(API):
                items = client.fetch_scratches(meet, race_date)
            calls = client.stats.calls[API]
    with race_store.writable() as engine:
        count = scratches.replace_scratches(engine, race_date, meet, items)
        rows = scratches.scratches_with_card(engine, race_date, meet)
    table = "\n".join(
        ["| race | gate | horse | reason |", "|---|---|---|---|"]
        + [f"| {r.race_no} | {r.gate_no} | {r.horse_no} | {r.reason or '-'} |" for r in rows]
    )
    return MaterializeResult(
        metadata={
            names.SCRATCH_COUNT: count,
            c.API_CALLS: calls,
            names.PREVIEW: MetadataValue.md(table if rows else "_No scratches._"),
        },
        check_results=[check_scratches_agree(rows)],
    )
