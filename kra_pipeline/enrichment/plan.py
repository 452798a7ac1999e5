"""How to fetch the reference ids a race day lacks: pure decisions, no calls and no store.

A per-id look-up costs one call; a whole-meet listing costs its pages and brings every id it
holds. The active listing is taken when more ids are missing than its pages. Ids it cannot hold
(horses retired since the race day, transferred ones) are looked up one by one, and those
look-ups are counted per meet: once the ones spent within the cache age plus the ones needed
now would pass the price of the retired-inclusive listing, that listing is taken instead. This
is the ski-rental rule: whatever the days ahead hold, it never spends more than about twice
the cheaper of the two choices made in hindsight.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Calls a whole-meet listing of active ids usually costs at a page size of 1000 (a meet has
# ~1,500 active horses and well under 100 jockeys or trainers), until it was listed once.
DEFAULT_LISTING_COST: dict[str, int] = {"horse": 2, "jockey": 1, "trainer": 1}
# Pages of a retired-inclusive listing never taken yet: a meet's registry going back two
# decades holds a few thousand horses. Once listed, the listing's own size is used instead.
DEFAULT_FULL_LISTING_COST = 6
# Horses race for a few seasons, so the field of a race day older than this has partly retired:
# on such a day every missing id is counted as possibly retired (see `plan_fetch`).
OLD_RACE_DAY = timedelta(days=365)

ACTIVE = "active"
FULL = "full"
_HOW = {ACTIVE: "the active listing", FULL: "the listing with retired horses"}


def listing_cost(listed_count: int | None, page_size: int, default: int) -> int:
    """Calls a listing will take: its last size in pages, or `default` if never listed."""
    if listed_count is None:
        return default
    return max(1, math.ceil(listed_count / page_size))


def is_old_race_day(race_date: str, now: datetime) -> bool:
    """Whether a YYYYMMDD race day is older than OLD_RACE_DAY at `now`."""
    day = date(int(race_date[:4]), int(race_date[4:6]), int(race_date[6:8]))
    return day < (now - OLD_RACE_DAY).date()


@dataclass(frozen=True)
class ListingState:
    """What the store says about one listing of a meet: fresh within the cache age, its price."""

    fresh: bool
    cost: int


@dataclass(frozen=True)
class FetchPlan:
    """What to fetch for one kind: the missing ids and which listing (if any) to take.

    `enrichment._fetch_kind` returns it as done: FULL when the listing with retired horses was
    taken after the first step, since that is the listing that decided the cost."""

    kind: str
    missing: tuple[str, ...]
    listing: str | None = None  # ACTIVE, FULL (retired-inclusive) or None: per-id look-ups
    listing_cost: int = 0

    @property
    def use_listing(self) -> bool:
        return self.listing is not None

    @property
    def how(self) -> str:
        """How the missing ids were fetched, for the run's log."""
        return _HOW.get(self.listing or "", "per-id look-ups")

    @property
    def estimated_calls(self) -> int:
        if not self.missing:
            return 0
        return self.listing_cost if self.use_listing else len(self.missing)


def plan_fetch(
    kind: str,
    missing: Iterable[str],
    listing_cost: int | None = None,
    *,
    listing_is_fresh: bool = False,
    full: ListingState | None = None,
    spent: int = 0,
    old_day: bool = False,
) -> FetchPlan:
    """Per-id look-ups while they are cheaper than a listing or a fresh listing lacked them,
    otherwise one listing.

    `full` is the retired-inclusive listing of kinds that have one, `spent` the per-id
    look-ups already counted against it. On an old race day every missing id may be retired:
    if looking them all up would pass the price of the retired-inclusive listing, that listing
    is taken straight away, as it holds the active ids too.
    """
    ids = tuple(sorted(set(missing)))
    cost = DEFAULT_LISTING_COST[kind] if listing_cost is None else listing_cost
    if listing_is_fresh or (full is not None and full.fresh) or len(ids) <= cost:
        return FetchPlan(kind, ids)
    if full is not None and old_day and spent + len(ids) > full.cost:
        return FetchPlan(kind, ids, FULL, full.cost)
    return FetchPlan(kind, ids, ACTIVE, cost)


def take_full_listing(leftovers: int, full: ListingState | None, spent: int) -> bool:
    """Whether ids still missing after the first step justify the retired-inclusive listing:
    none is fresh, and the look-ups spent within the cache age plus these would pass its price."""
    if full is None or full.fresh or leftovers == 0:
        return False
    return spent + leftovers > full.cost


def reference_max_age_days() -> float:
    """How long horse, jockey and trainer details stay fresh (KRA_REFERENCE_MAX_AGE_DAYS)."""
    return float(os.environ.get("KRA_REFERENCE_MAX_AGE_DAYS", "7"))
