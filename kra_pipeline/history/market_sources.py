"""Where a past meet-month's pool grids come from: the month route (API28_1/29_1/30_1, about one
call per meet-month) or, for a key KRA will not serve it, the per-day route (API160_1, then
API301, one call per race day), so no race day is lost to what one key was granted.

A refusal is code 20 (the key was not granted the API) or 12 (no such service for this key).
It is noted in the access book the client keeps for this key, so the next months of that key
go per day without spending a call on the month route; a refusal older than
REFUSAL_REMEMBERED tries the month route again (a grant may have come through). Another key
(another access book) is not affected. A day the per-day market assets (race_day_confirmed_odds,
race_day_dividends) already stored costs no call.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from kra_pipeline.kra.access_book import note_refusal, read_access
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.errors import (
    NO_SUCH_SERVICE,
    SERVICE_NOT_GRANTED,
    KraConfigurationError,
    KraRequestError,
)
from kra_pipeline.kra.market.grid_rows import GRID_APIS, parse_grid_rows, pool_code
from kra_pipeline.kra.market.pool_months import fetch_month_items
from kra_pipeline.kra.market.pools import (
    CONFIRMED_ODDS_API,
    DIVIDENDS_API,
    GridRow,
    PoolGrid,
    parse_pool_rows,
)
from kra_pipeline.store import market

REFUSAL_CODES = frozenset({SERVICE_NOT_GRANTED, NO_SUCH_SERVICE})
# The per-day route, in the order tried: API160_1 carries every pool's confirmed odds.
DAY_APIS: tuple[str, ...] = (CONFIRMED_ODDS_API, DIVIDENDS_API)
REFUSAL_REMEMBERED = dt.timedelta(days=1)


@dataclass
class GridMonth:
    """One grid API's pools for a meet-month, and how they were come by."""

    api: str
    rows: list[GridRow] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    source: str = ""
    fallback: str | None = None
    days_reused: int = 0
    placeholders: int = 0
    duplicates: int = 0
    conflicts: int = 0


def recent_refusal(engine: Engine, api: str, now: dt.datetime | None = None) -> str | None:
    """KRA's words if this key's book has `api` refused (and not answered since) lately."""
    moment = now or dt.datetime.now(dt.UTC)
    for book in read_access(engine):
        if book.api != api or book.usable or book.refused_at is None:
            continue
        if moment - dt.datetime.fromisoformat(book.refused_at) < REFUSAL_REMEMBERED:
            return book.refusal or "refused"
    return None


def _count(grid: GridMonth, found: PoolGrid) -> None:
    grid.placeholders += found.placeholders
    grid.duplicates += found.duplicates
    grid.conflicts += found.conflicts


def fetch_grid_month(
    client: KraClient, engine: Engine, api: str, meet: int, month: str, days: Iterable[str]
) -> GridMonth:
    """`api`'s pools for the meet-month; `days` are the month's race days, asked one by one
    only when this key may not use the month route."""
    book = client.daily_quota.engine
    grid = GridMonth(api)
    refused = recent_refusal(book, api)
    if refused is None:
        before = Counter(client.stats.calls)
        try:
            items = fetch_month_items(client, api, meet, month)
        except (KraConfigurationError, KraRequestError) as error:
            if error.code not in REFUSAL_CODES:
                raise
            if error.code != SERVICE_NOT_GRANTED:  # the client books code 20 itself
                note_refusal(book, api, error.message)
            refused = f"code {error.code}: {error.message}"
        else:
            found = parse_grid_rows(api, items)
            grid.rows = [row for row in found.combinations if isinstance(row, GridRow)]
            grid.source = api
            _count(grid, found)
        grid.calls = Counter(client.stats.calls) - before
    if refused is not None:
        grid.fallback = f"{api} refused for this key ({refused}): asked per race day instead"
        _per_day(client, engine, grid, meet, sorted(days))
    return grid


def _per_day(
    client: KraClient, engine: Engine, grid: GridMonth, meet: int, days: list[str]
) -> None:
    """Each race day from the per-day route: a day the per-day market assets already stored
    costs no call; the others one call each (only this API's pools are kept)."""
    pools = set(GRID_APIS[grid.api])
    last_error: KraConfigurationError | KraRequestError | None = None
    for day_api in DAY_APIS:
        grid.source = day_api
        before = Counter(client.stats.calls)
        try:
            rows: list[GridRow] = []
            for race_date in days:
                stored = market.load_pool_combinations(engine, race_date, meet, day_api, pools)
                if stored:
                    grid.days_reused += 1
                    rows.extend(
                        GridRow(c.race_date, c.meet, c.race_no, c.pool, c.legs, c.odds)
                        for c in stored
                    )
                    continue
                items = client.fetch_pool_grid(day_api, meet, race_date)
                wanted = [item for item in items if pool_code(item.get("pool")) in pools]
                found = parse_pool_rows(wanted, keep_raw=True)
                _count(grid, found)
                rows.extend(c for c in found.combinations if isinstance(c, GridRow))
        except (KraConfigurationError, KraRequestError) as error:
            grid.calls += Counter(client.stats.calls) - before
            if error.code not in REFUSAL_CODES:
                raise
            last_error = error
            continue
        grid.calls += Counter(client.stats.calls) - before
        grid.rows = rows
        return
    assert last_error is not None
    raise last_error
