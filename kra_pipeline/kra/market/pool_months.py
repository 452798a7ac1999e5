"""A meet's month of market data in a handful of calls: pool grids and pool sales.

API28_1 (WIN, PLC), API29_1 (QNL, EXA, QPL), API30_1 (TLA, TRI) and API179_1 (turnover and
dividends) each answer a whole meet × month (`rc_month`) with pages of up to 100,000 rows, so
the market history costs about one call per meet-month per API instead of one per race day.
How JOO called them with a live key: API28_1, API29_1 and API179_1 without `pool` (API29_1
then answers its three pools together), API30_1 once per pool (`pool` is required there).
Months before KRA sold a pool are not asked for (docs/MARKET_SOURCES.md has the dates).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kra_pipeline.kra.client import MONTH_RE, KraClient
from kra_pipeline.kra.errors import KraRequestError
from kra_pipeline.kra.market.grid_rows import GRID_APIS, GridRow, parse_grid_rows
from kra_pipeline.kra.market.pool_sales import SALES_API, PoolSales, parse_sales_rows
from kra_pipeline.races.fields import compact_date, meet_code

MONTH_PAGE_SIZE = 100_000
MARKET_APIS: tuple[str, ...] = (*GRID_APIS, SALES_API)
# Asked once per pool: JOO's verified collector sends API30_1 `pool` as a required parameter.
ONE_CALL_PER_POOL = frozenset({"API30_1"})
# The first month (YYYYMM) each pool's grid has rows, test records included (JOO's archive),
# and the month Busan-Gyeongnam (meet 3) opened: no grid of it exists before.
POOL_FIRST_MONTH: dict[str, str] = {
    "WIN": "200201",
    "PLC": "200201",
    "QNL": "200701",
    "EXA": "200701",
    "QPL": "200701",
    "TLA": "200903",
    "TRI": "201603",
}
MEET_FIRST_MONTH: dict[int, str] = {1: "200201", 2: "200201", 3: "200509"}
# API179_1 reaches further back than any grid (JOO): Seoul 1991-01, Jeju 1993-04, Busan 2005-09.
SALES_FIRST_MONTH: dict[int, str] = {1: "199101", 2: "199304", 3: "200509"}


def pools_with_rows(meet: int, month: str) -> tuple[str, ...]:
    """The pools a meet-month can have rows of."""
    if month < MEET_FIRST_MONTH[meet_code(meet)]:
        return ()
    return tuple(pool for pool, first in POOL_FIRST_MONTH.items() if first <= month)


def _check_month(api: str, items: list[dict[str, Any]], meet: int, month: str) -> None:
    """KRA ignores a filter it does not know: rows of another month or meet mean it did."""
    months = {(compact_date(item.get("rcDate")) or "?")[:6] for item in items} - {month}
    meets = set()
    for item in items:
        try:
            meets.add(meet_code(item.get("meet", "")))
        except ValueError:
            continue  # the row parser refuses it, naming the field
    if months or meets - {meet}:
        raise KraRequestError(
            None,
            api,
            f"{api} answered rows of other months {sorted(months)[:3]} or meets "
            f"{sorted(meets - {meet})} for meet {meet} in {month}: the filter was ignored, "
            "check the parameter names",
        )


def month_queries(api: str, meet: int, month: str) -> list[dict[str, Any]]:
    """The queries (one call each, before extra pages) that fetch one API's meet-month; none
    for a month before KRA had the data."""
    if api not in MARKET_APIS:
        raise ValueError(f"{api} is not a month market API: use one of {', '.join(MARKET_APIS)}")
    if not MONTH_RE.match(month):
        raise ValueError(f"month must be YYYYMM, e.g. '202503', got {month!r}")
    meet = meet_code(meet)
    params: dict[str, Any] = {"meet": meet, "rc_month": month}
    if api == SALES_API:
        return [params] if month >= SALES_FIRST_MONTH[meet] else []
    sold = pools_with_rows(meet, month)
    if api in ONE_CALL_PER_POOL:
        return [{**params, "pool": pool} for pool in GRID_APIS[api] if pool in sold]
    return [params] if set(GRID_APIS[api]) & set(sold) else []


def estimate_calls(meet_months: Iterable[tuple[int, str]]) -> Counter[str]:
    """Calls per API to fetch these (meet, month)s, not counting pages past the first."""
    pairs = list(meet_months)
    return Counter(
        {
            api: sum(len(month_queries(api, meet, month)) for meet, month in pairs)
            for api in MARKET_APIS
        }
    )


def fetch_month_items(client: KraClient, api: str, meet: int, month: str) -> list[dict[str, Any]]:
    """Every row of one market API for a meet-month, as KRA sent them (all pages)."""
    items: list[dict[str, Any]] = []
    for query in month_queries(api, meet, month):
        items.extend(client._fetch_all(api, query, page_size=MONTH_PAGE_SIZE)[1])
    _check_month(api, items, meet_code(meet), month)
    return items


@dataclass
class MarketMonth:
    """A meet-month of grids and sales, typed, with what normalisation dropped."""

    meet: int
    month: str
    grid: list[GridRow] = field(default_factory=list)
    sales: list[PoolSales] = field(default_factory=list)
    placeholders: int = 0
    duplicates: int = 0
    conflicts: int = 0


def fetch_market_month(client: KraClient, meet: int, month: str) -> MarketMonth:
    """All four market APIs for one meet-month: every pool's grid and every pool's sales."""
    meet = meet_code(meet)
    answer = MarketMonth(meet, month)
    for api in GRID_APIS:
        grid = parse_grid_rows(api, fetch_month_items(client, api, meet, month))
        answer.grid.extend(row for row in grid.combinations if isinstance(row, GridRow))
        answer.placeholders += grid.placeholders
        answer.duplicates += grid.duplicates
        answer.conflicts += grid.conflicts
    sales = parse_sales_rows(fetch_month_items(client, SALES_API, meet, month))
    answer.sales = sales.rows
    answer.duplicates += sales.duplicates
    answer.conflicts += sales.conflicts
    return answer
