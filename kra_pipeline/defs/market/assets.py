"""Odds and dividends of a race day: one asset per source API (API301 dividends, API160_1
confirmed odds), downstream of the collected day and fetched only once results are stored.

A key not granted the API (code 20) fails only that asset, saying where to apply; the race-day
assets do not depend on these and stay collected.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from kra_pipeline import contract as c
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions, split_race_day_key
from kra_pipeline.defs.shared.policy import KRA_POOL, KRA_RETRY_POLICY
from kra_pipeline.defs.shared.refusals import only_this_source
from kra_pipeline.defs.shared.resources import KraApiResource, RaceStoreResource
from kra_pipeline.defs.shared.source_assets import problems_check
from kra_pipeline.kra.market import pools as kra_market
from kra_pipeline.kra.market.pools import PoolGrid, parse_pool_rows
from kra_pipeline.store import market, race_days

WINNERS_PRICED = "winners_priced"


def _winners_check(asset_name: str, problems: list[str], checked: int) -> AssetCheckResult:
    return problems_check(WINNERS_PRICED, asset_name, problems, checked=checked)


def _markdown(grid: PoolGrid) -> str:
    counts = grid.pool_counts()
    return "\n".join(
        ["| pool | combinations |", "|---|---|", *(f"| {p} | {n} |" for p, n in counts.items())]
    )


def pool_grid_asset(name: str, api: str, what: str) -> AssetsDefinition:
    """The asset that stores one API's pool grid for a race-day partition."""

    @asset(
        name=name,
        partitions_def=race_day_partitions,
        deps=[AssetKey(c.COLLECTED_ASSET)],
        pool=KRA_POOL,
        retry_policy=KRA_RETRY_POLICY,
        group_name=Group.MARKET,
        kinds={"python"},
        check_specs=[
            AssetCheckSpec(
                WINNERS_PRICED,
                asset=AssetKey(name),
                description="every paying combination of a finished race has a price",
            )
        ],
        description=f"{what} ({api}) of every pool and combination, once results are in.",
    )
    def _pool_grid(
        context: AssetExecutionContext,
        kra_open_api: KraApiResource,
        race_store: RaceStoreResource,
    ) -> MaterializeResult:
        race_date, meet = split_race_day_key(context.partition_key)
        engine = race_store.engine()
        finished = {
            race.race_no
            for race in race_days.load_collected_race_day(engine, race_date, meet)
            if race.is_finished
        }
        grid, calls = PoolGrid(), 0
        if finished:
            with kra_open_api.client() as client:
                with only_this_source(api):
                    items = client.fetch_pool_grid(api, meet, race_date)
                calls = client.stats.calls[api]
            grid = parse_pool_rows(items)
            grid.combinations = [x for x in grid.combinations if x.race_no in finished]
        else:
            context.log.info(f"{race_date} meet {meet}: no finished race, nothing to fetch")
        if grid.unknown_pools:
            context.log.warning(f"{api} sent pools not known here: {sorted(grid.unknown_pools)}")
        with race_store.writable() as writable:
            market.replace_pool_combinations(writable, race_date, meet, api, grid.combinations)
            winners = market.winning_combinations(writable, race_date, meet, api)
        unpriced = [f"R{w.race_no} {w.pool} {w.legs}" for w in winners if w.odds is None]
        return MaterializeResult(
            metadata={
                names.COMBINATION_COUNT: len(grid.combinations),
                names.CAPPED_COUNT: sum(1 for x in grid.combinations if x.is_capped),
                names.DUPLICATE_COUNT: grid.duplicates,
                names.PLACEHOLDER_COUNT: grid.placeholders,
                names.POOL_COUNTS: grid.pool_counts(),
                c.FINISHED_RACE_COUNT: len(finished),
                c.API_CALLS: calls,
                names.PREVIEW: MetadataValue.md(_markdown(grid)),
            },
            check_results=[_winners_check(name, unpriced, len(winners))],
        )

    return _pool_grid


race_day_dividends = pool_grid_asset(
    c.DIVIDENDS_ASSET, kra_market.DIVIDENDS_API, "Race-day dividends"
)
race_day_confirmed_odds = pool_grid_asset(
    names.CONFIRMED_ODDS_ASSET, kra_market.CONFIRMED_ODDS_API, "Confirmed odds"
)
