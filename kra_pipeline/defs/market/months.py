"""The market by meet × month: pool sales (API179_1) and the pool grids (API28_1, API29_1,
API30_1), about one call per meet-month and API plus extra pages, with the pari-mutuel
integrity checks as asset checks.

Sales come first (the grid checks compare dividends with them). A key KRA will not serve a
month grid API (code 20 or 12) gets that API's pools per race day from API160_1 or API301
instead (history.market_sources); a key not granted API179_1 fails only the sales asset.
The checks are held to the month's results read from the store (the API4_3 month answer, one
call fetched here if no result of the month is stored yet). Days of grids with no sales and no
results are KRA's test records: kept in `market_test_records`, left out of the checks.
"""

from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    asset,
)
from sqlalchemy import Engine

from kra_pipeline import contract as c
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_month_partitions, split_race_month_key
from kra_pipeline.defs.shared.policy import KRA_POOL, KRA_RETRY_POLICY
from kra_pipeline.defs.shared.refusals import only_this_source
from kra_pipeline.defs.shared.resources import KraApiResource, RaceStoreResource
from kra_pipeline.history.market_sources import REFUSAL_CODES, fetch_grid_month
from kra_pipeline.history.sources import fetch_month
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.errors import KraConfigurationError, KraRequestError
from kra_pipeline.kra.market.grid_rows import GRID_APIS
from kra_pipeline.kra.market.month_integrity import (
    GRID_CHECKS,
    SALES_CHECKS,
    MonthIntegrity,
    check_grid_month,
    check_sales_month,
    describe,
)
from kra_pipeline.kra.market.pool_months import fetch_month_items
from kra_pipeline.kra.market.pool_sales import SALES_API, parse_sales_rows
from kra_pipeline.store import market_months
from kra_pipeline.store.month_results import FROM_NOTHING, MonthResults, month_results

PROBLEMS_SHOWN = 20


def _check_results(asset_name: str, integrity: MonthIntegrity) -> list[AssetCheckResult]:
    """One result per check: passed when it found nothing, the first failures named."""
    return [
        AssetCheckResult(
            check_name=check,
            asset_key=AssetKey(asset_name),
            passed=not found,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                names.RACES_CHECKED: integrity.races_checked,
                "failures": len(found),
                "problems": "; ".join(describe(f) for f in found[:PROBLEMS_SHOWN]) or "none",
            },
        )
        for check, found in integrity.failures.items()
    ]


def _specs(asset_name: str, checks: dict[str, str]) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(check, asset=AssetKey(asset_name), description=what)
        for check, what in checks.items()
    ]


def _results(
    context: AssetExecutionContext, client: KraClient, engine: Engine, meet: int, month: str
) -> MonthResults:
    """The month's results from the store; the API4_3 month answer fetched (one call) when no
    result of the month is stored yet, unless this key may not use API4_3."""
    results = month_results(engine, meet, month)
    if results.source != FROM_NOTHING:
        return results
    try:
        fetch_month(client, engine, month, meet)
    except (KraConfigurationError, KraRequestError) as error:
        if error.code not in REFUSAL_CODES:
            raise
        context.log.warning(f"no results of {month} meet {meet} stored, API4_3 refused: {error}")
        return results
    return month_results(engine, meet, month)


@asset(
    name=names.MARKET_MONTH_SALES_ASSET,
    partitions_def=race_month_partitions,
    pool=KRA_POOL,
    retry_policy=KRA_RETRY_POLICY,
    group_name=Group.MARKET,
    kinds={"python"},
    check_specs=_specs(names.MARKET_MONTH_SALES_ASSET, SALES_CHECKS),
    description="Turnover (won) and winning dividends of every pool of every race of a meet's "
    "month (API179_1, one call plus extra pages), typed, each item kept whole.",
)
def market_month_sales(
    context: AssetExecutionContext, kra_open_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    month, meet = split_race_month_key(context.partition_key)
    with kra_open_api.client() as client:
        with only_this_source(SALES_API, unserved_too=True):
            items = fetch_month_items(client, SALES_API, meet, month)
        calls = client.stats.calls[SALES_API]
    sales = parse_sales_rows(items)
    with race_store.writable() as engine:
        stored = market_months.replace_sales_month(engine, meet, month, sales.rows)
    integrity = check_sales_month(sales.rows)
    context.log.info(f"{month} meet {meet}: {stored} pool sales in {calls} call(s)")
    return MaterializeResult(
        metadata={
            names.SALES_ROW_COUNT: stored,
            names.DUPLICATE_COUNT: sales.duplicates,
            names.RACES_CHECKED: integrity.races_checked,
            c.API_CALLS: calls,
        },
        check_results=_check_results(names.MARKET_MONTH_SALES_ASSET, integrity),
    )


def grid_month_asset(api: str) -> AssetsDefinition:
    """The month asset of one grid API: its pools for every race of a meet's month."""
    name = names.MARKET_MONTH_GRID_ASSETS[api]
    pools = GRID_APIS[api]

    @asset(
        name=name,
        partitions_def=race_month_partitions,
        deps=[AssetKey(names.MARKET_MONTH_SALES_ASSET), AssetKey(names.RAW_MONTH_ASSET)],
        pool=KRA_POOL,
        retry_policy=KRA_RETRY_POLICY,
        group_name=Group.MARKET,
        kinds={"python"},
        check_specs=_specs(name, GRID_CHECKS),
        description=f"Every {'/'.join(pools)} combination and price of every race of a meet's "
        f"month ({api}, about one call; per race day from API160_1/API301 for a key KRA will "
        "not serve it), each item kept whole; test-record days flagged apart.",
    )
    def _grid_month(
        context: AssetExecutionContext,
        kra_open_api: KraApiResource,
        race_store: RaceStoreResource,
    ) -> MaterializeResult:
        month, meet = split_race_month_key(context.partition_key)
        with kra_open_api.client() as client, race_store.writable() as engine:
            results = _results(context, client, engine, meet, month)
            sales = market_months.load_sales_month(engine, meet, month)
            days = results.race_days | {row.race_date for row in sales}
            with only_this_source(api, unserved_too=True):
                grid = fetch_grid_month(client, engine, api, meet, month, days)
            stored = market_months.replace_grid_month(
                engine, meet, month, pools, grid.rows, grid.source
            )
            integrity = check_grid_month(
                grid.rows,
                sales,
                results.starters,
                results.finish_orders,
                pools,
                results_known=results.source != FROM_NOTHING,
            )
            market_months.save_test_records(engine, integrity.test_records)
        if grid.fallback:
            context.log.warning(grid.fallback)
        metadata: dict[str, Any] = {
            names.COMBINATION_COUNT: stored,
            names.CAPPED_COUNT: sum(1 for row in grid.rows if row.is_capped),
            names.DUPLICATE_COUNT: grid.duplicates,
            names.PLACEHOLDER_COUNT: grid.placeholders,
            names.GRID_SOURCE: grid.source,
            names.GRID_FALLBACK: grid.fallback or "none",
            names.DAYS_REUSED: grid.days_reused,
            names.CALLS_BY_API: dict(grid.calls),
            names.RESULTS_SOURCE: results.source,
            names.RACES_CHECKED: integrity.races_checked,
            names.TEST_RECORD_DATES: [f"{r.race_date}/{r.meet}" for r in integrity.test_records],
            c.API_CALLS: sum(grid.calls.values()),
        }
        return MaterializeResult(metadata=metadata, check_results=_check_results(name, integrity))

    return _grid_month


market_month_grids = [grid_month_asset(api) for api in GRID_APIS]
market_month_assets = [market_month_sales, *market_month_grids]
