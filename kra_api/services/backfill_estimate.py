"""What a backfill will cost in KRA calls, before it is launched: pure, no calls and no store.

The model follows the rules the race-day assets apply (kra_pipeline/history/sources.py
and kra_pipeline/enrichment/plan.py):

- a settled past day (older than KRA_RECENT_DAYS) is cut out of its meet's API4_3 month
  answer: one answer per meet and month, of as many pages as that meet's stored answers took
  on average (or a measured default), unless the store holds one fetched after the day
  settled;
- a recent day, a day ahead, or every day with KRA_HISTORY_SOURCE=day costs one API214_1 call;
- enrichment lists each registry of a meet once (a listing still fresh costs nothing): jockeys
  and trainers their active listing, horses the listing with retired horses when the range
  holds a day older than a year (its field has partly retired), else the active listing; a
  listing costs as many pages as it held last time, or a measured default.

Not foreseen: per-id look-ups of ids a listing lacks, and month answers that look incomplete
(each day then asked per day); both are rare, so the estimate is a close lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from kra_pipeline.contract import DATE_FORMAT, SOURCE_DAY_API
from kra_pipeline.enrichment.plan import (
    DEFAULT_FULL_LISTING_COST,
    DEFAULT_LISTING_COST,
    ListingState,
    is_old_race_day,
)
from kra_pipeline.history.sources import SOURCE_MONTH_API

# The registry API of each reference kind (kra_pipeline/kra/client.py) and its listing names.
KIND_API = {"horse": "API8_2", "jockey": "API12_1", "trainer": "API19_1"}
FULL_HORSE_LISTING = "horse_all"
# Pages of a meet's month answer at 1,000 rows a page when the store holds none of that meet
# yet: the mean over the simulator's months 2015-2026 (sized after KRA's; Seoul 850-1,210 rows
# a month, so about every other month takes two pages; Jeju 656-1,038; Busan 578-871).
DEFAULT_MONTH_PAGES = {1: 1.44, 2: 1.02, 3: 1.0}
DEFAULT_PAGE_SIZE = 1000
# Pages of a meet's registry listings never taken yet, at 1,000 a page (the simulator's
# registries, sized after KRA's): horses of racing age, horses since 2005, jockeys, trainers.
# Meets not listed fall back to the enrichment planner's defaults.
DEFAULT_LISTING_PAGES = {
    "horse": {1: 2, 2: 1, 3: 1},
    FULL_HORSE_LISTING: {1: 6, 2: 3, 3: 5},
    "jockey": {1: 1, 2: 1, 3: 1},
    "trainer": {1: 1, 2: 1, 3: 1},
}


@dataclass(frozen=True)
class KnownState:
    """What the store already holds that spares calls."""

    # (YYYYMM, meet) -> the Seoul date a stored month answer was fetched on
    months: Mapping[tuple[str, int], date] = field(default_factory=dict)
    # meet -> mean calls (pages) its stored month answers took
    month_pages: Mapping[int, float] = field(default_factory=dict)
    # (listing name, meet) -> freshness and price of the last listing
    listings: Mapping[tuple[str, int], ListingState] = field(default_factory=dict)


@dataclass(frozen=True)
class BackfillEstimate:
    """Partitions, expected KRA calls per API, and the share of each API's daily quota."""

    partitions: int
    calls: dict[str, int]
    daily_quota: dict[str, int]

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def quota_days(self) -> float:
        """Days of daily quota the busiest API needs (0 when no API has a quota)."""
        shares = [
            calls / self.daily_quota[api]
            for api, calls in self.calls.items()
            if self.daily_quota.get(api, 0) > 0
        ]
        return round(max(shares, default=0.0), 3)

    def as_dict(self) -> dict[str, object]:
        return {
            "partitions": self.partitions,
            "kra_calls": dict(sorted(self.calls.items())),
            "kra_calls_total": self.total_calls,
            "daily_quota": dict(sorted(self.daily_quota.items())),
            "quota_days": self.quota_days,
        }

    def summary(self) -> str:
        per_api = ", ".join(f"{api} {n}" for api, n in sorted(self.calls.items()) if n) or "none"
        return (
            f"{self.partitions} partitions; about {self.total_calls} KRA calls ({per_api}); "
            f"{self.quota_days:g} day(s) of the daily quota"
        )


def is_settled(race_date: str, on: date, recent_days: int) -> bool:
    """The rule of sources.is_settled (tested equal): results final past the recent days."""
    return (on - datetime.strptime(race_date, DATE_FORMAT).date()).days > recent_days


def _split(key: str) -> tuple[str, int]:
    race_date, meet = key.split("|")
    return race_date, int(meet)


def default_month_pages(meet: int, page_size: int) -> float:
    """Expected pages of a month answer never fetched: the measured mean, scaled when
    KRA_API_PAGE_SIZE is not the 1,000 it was measured at."""
    at_default = DEFAULT_MONTH_PAGES.get(meet, 1.0)
    if page_size == DEFAULT_PAGE_SIZE:
        return at_default
    return float(max(1, math.ceil(at_default * DEFAULT_PAGE_SIZE / page_size)))


def estimate_backfill(
    keys: Iterable[str],
    *,
    today: date,
    now: datetime,
    recent_days: int,
    history_source: str,
    page_size: int,
    daily_quota: Mapping[str, int],
    default_quota: int,
    known: KnownState | None = None,
) -> BackfillEstimate:
    """Expected calls of a backfill over `keys` ("YYYYMMDD|meet") started `now` (`today` in
    Seoul), given what the store already holds; quotas per API as KRA_DAILY_QUOTA(_PER_API)."""
    known = known or KnownState()
    calls = dict.fromkeys((SOURCE_MONTH_API, SOURCE_DAY_API, *KIND_API.values()), 0)
    months: dict[tuple[str, int], list[str]] = {}
    meets: dict[int, list[str]] = {}
    count = 0
    for key in keys:
        count += 1
        race_date, meet = _split(key)
        meets.setdefault(meet, []).append(race_date)
        if history_source == "day" or not is_settled(race_date, today, recent_days):
            calls[SOURCE_DAY_API] += 1
        else:
            months.setdefault((race_date[:6], meet), []).append(race_date)
    pages = 0.0
    for (month, meet), days in months.items():
        fetched_on = known.months.get((month, meet))
        if fetched_on is None or not all(is_settled(d, fetched_on, recent_days) for d in days):
            pages += known.month_pages.get(meet) or default_month_pages(meet, page_size)
    calls[SOURCE_MONTH_API] = round(pages)
    for meet, days in meets.items():
        old = any(is_old_race_day(day, now) for day in days)
        for kind, api in KIND_API.items():
            calls[api] += _listing_calls(kind, meet, old, known)
    quota = {api: daily_quota.get(api, default_quota) for api in calls}
    return BackfillEstimate(count, calls, quota)


def _listing_calls(kind: str, meet: int, old: bool, known: KnownState) -> int:
    """One listing of the kind's registry at the meet, unless a fresh one serves."""
    active = known.listings.get((kind, meet))
    full = known.listings.get((FULL_HORSE_LISTING, meet)) if kind == "horse" else None
    if full is not None and full.fresh:
        return 0
    if kind == "horse" and old:
        if full is not None:
            return full.cost
        return DEFAULT_LISTING_PAGES[FULL_HORSE_LISTING].get(meet, DEFAULT_FULL_LISTING_COST)
    if active is not None and active.fresh:
        return 0
    if active is not None:
        return active.cost
    return DEFAULT_LISTING_PAGES[kind].get(meet, DEFAULT_LISTING_COST[kind])
