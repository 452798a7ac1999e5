"""What the market history backfill costs, per API, before it starts: pure, no calls.

The market history is fetched by meet × month (kra_pipeline/kra/market/pool_months.py): API28_1,
API29_1 and API179_1 once per meet-month, API30_1 once per pool it sold that month (TLA, TRI),
none for a month before KRA had the data. Each of those queries costs one call per page of
up to MONTH_PAGE_SIZE rows. Pages are estimated from the races the project holds: each race
adds the grid cells of the query's pools over its starters (n, n, C(n,2), n(n−1), C(n,2),
C(n,3), n(n−1)(n−2)) and API179_1 one row per pool; a query whose rows pass a page costs the
extra pages (in practice only Seoul's trifecta months, about 110,000 rows).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from kra_api.services.backfill_estimate import BackfillEstimate
from kra_pipeline.kra.market.grid_rows import GRID_APIS
from kra_pipeline.kra.market.pool_integrity import expected_cells
from kra_pipeline.kra.market.pool_months import (
    MARKET_APIS,
    MONTH_PAGE_SIZE,
    month_queries,
    pools_with_rows,
)
from kra_pipeline.kra.market.pool_sales import SALES_API

MeetMonth = tuple[int, str]  # (meet, YYYYMM)
# Starters assumed for a held race whose entrants are not stored (the simulator's and KRA's
# mean field is about 10).
DEFAULT_STARTERS = 10


def query_rows(api: str, query: Mapping[str, object], month: str, starters: list[int]) -> int:
    """Rows one query answers for the races of a meet-month (`starters` per race)."""
    meet = int(str(query["meet"]))
    sold = pools_with_rows(meet, month)
    if api == SALES_API:
        return len(sold) * len(starters)
    asked = (str(query["pool"]),) if "pool" in query else GRID_APIS[api]
    pools = [pool for pool in asked if pool in sold]
    return sum(expected_cells(pool, n) for n in starters for pool in pools)


def meet_month_calls(meet: int, month: str, starters: list[int]) -> Counter[str]:
    """Calls per API to fetch one meet-month whose races have these starters."""
    calls: Counter[str] = Counter()
    for api in MARKET_APIS:
        for query in month_queries(api, meet, month):
            rows = query_rows(api, query, month, starters)
            calls[api] += max(1, math.ceil(rows / MONTH_PAGE_SIZE))
    return calls


@dataclass(frozen=True)
class MarketEstimate(BackfillEstimate):
    """A backfill estimate of the market history, with what is left of today's quota."""

    meet_months: tuple[MeetMonth, ...] = ()
    races: int = 0
    extra_pages: dict[str, int] = field(default_factory=dict)
    left_today: dict[str, int] = field(default_factory=dict)

    def over_quota(self) -> dict[str, tuple[int, int]]:
        """APIs whose estimate exceeds what is left of today's quota: api → (calls, left)."""
        return {
            api: (calls, self.left_today[api])
            for api, calls in sorted(self.calls.items())
            if self.daily_quota.get(api, 0) > 0 and calls > self.left_today.get(api, 0)
        }

    def as_dict(self) -> dict[str, object]:
        return super().as_dict() | {
            "races": self.races,
            "extra_pages": dict(sorted(self.extra_pages.items())),
            "left_today": dict(sorted(self.left_today.items())),
        }

    def summary(self) -> str:
        per_api = ", ".join(f"{api} {self.calls[api]}" for api in MARKET_APIS)
        pages = sum(self.extra_pages.values())
        return (
            f"{self.partitions} meet-months holding {self.races} races; about "
            f"{self.total_calls} KRA calls ({per_api}; {pages} of them extra pages); "
            f"{self.quota_days:g} day(s) of the daily quota"
        )

    def quota_refusal(self) -> str | None:
        """Why launching now is refused unless spread over days, or None when it fits today."""
        over = self.over_quota()
        if not over:
            return None
        parts = "; ".join(
            f"{api} needs about {calls} calls and {left} are left today"
            for api, (calls, left) in over.items()
        )
        return (
            f"the market history does not fit today's KRA quota ({parts}). Ask again with "
            'spread (kra backfill --market --spread, or "spread": true): the runs a spent '
            "quota stops resume by themselves after 00:00 KST (sensor "
            "resume_market_history_after_daily_quota). Or narrow the range (--from/--to, --meet)"
        )


def estimate_market(
    races: Mapping[MeetMonth, list[int]],
    *,
    daily_quota: Mapping[str, int],
    default_quota: int,
    used_today: Mapping[str, int] | None = None,
) -> MarketEstimate:
    """Calls per API to fetch the market of these meet-months (`races`: starters per held
    race), and what is left of each API's quota today (`used_today`: calls already made)."""
    calls: Counter[str] = Counter(dict.fromkeys(MARKET_APIS, 0))
    first_pages: Counter[str] = Counter()
    for (meet, month), starters in sorted(races.items()):
        calls.update(meet_month_calls(meet, month, starters))
        first_pages.update({api: len(month_queries(api, meet, month)) for api in MARKET_APIS})
    used = used_today or {}
    quota = {api: daily_quota.get(api, default_quota) for api in MARKET_APIS}
    return MarketEstimate(
        partitions=len(races),
        calls=dict(calls),
        daily_quota=quota,
        meet_months=tuple(sorted(races)),
        races=sum(len(starters) for starters in races.values()),
        extra_pages={api: calls[api] - first_pages[api] for api in MARKET_APIS},
        left_today={api: max(0, quota[api] - used.get(api, 0)) for api in MARKET_APIS},
    )
