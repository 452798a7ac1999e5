"""Enrichment of a race day with horse, jockey and trainer form, spending as few calls as possible.

Reference details live in the race store with the time they were fetched; only ids whose
details are missing or older than the cache age are fetched. Each kind takes one whole-meet
listing when many ids are missing and looks the rest up by id. A listing holds only active
horses, so the horses of an older race day would each cost a call: once those look-ups add up
to the price of the listing with retired horses (`act_gubun=n`), that listing is taken instead
(`enrichment_plan` has the rule). If KRA ignored the parameter, the listing holds the active
horses only and the rest is still looked up by id: nothing is lost, it only costs more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from kra_pipeline.enrichment.plan import (
    ACTIVE,
    DEFAULT_FULL_LISTING_COST,
    DEFAULT_LISTING_COST,
    FULL,
    FetchPlan,
    ListingState,
    is_old_race_day,
    listing_cost,
    plan_fetch,
    take_full_listing,
)
from kra_pipeline.kra.client import KraClient
from kra_pipeline.races.models import EnrichedEntrant, Race
from kra_pipeline.store.listings import listing_of, lookups_since, record_listing, record_lookups
from kra_pipeline.store.reference import (
    load_horses,
    load_jockeys,
    load_trainers,
    upsert_horses,
    upsert_jockeys,
    upsert_trainers,
)

__all__ = ["REFERENCE_KINDS", "EnrichmentOutcome", "FetchPlan", "enrich_races", "plan_fetch"]

Lister = Callable[[KraClient, int], list[Any]]


@dataclass(frozen=True)
class ReferenceKind:
    """How one kind of reference detail is keyed, cached and fetched."""

    name: str
    entrant_id: Callable[[Any], str | None]
    detail_id: Callable[[Any], str]
    load: Callable[..., dict[str, Any]]
    upsert: Callable[..., None]
    fetch_one: Callable[[KraClient, str], Any]
    list_meet: Lister
    list_with_retired: Lister | None = None  # for a registry whose members retire

    @property
    def full_name(self) -> str:
        """The listing name the retired-inclusive listing is recorded under."""
        return f"{self.name}_all"


REFERENCE_KINDS: tuple[ReferenceKind, ...] = (
    ReferenceKind(
        "horse",
        lambda entrant: entrant.horse_no,
        lambda detail: detail.horse_no,
        load_horses,
        upsert_horses,
        KraClient.fetch_horse,
        KraClient.list_horses,
        lambda client, meet: client.list_horses(meet, include_retired=True),
    ),
    ReferenceKind(
        "jockey",
        lambda entrant: entrant.jockey_no,
        lambda detail: detail.jockey_no,
        load_jockeys,
        upsert_jockeys,
        KraClient.fetch_jockey,
        KraClient.list_jockeys,
    ),
    ReferenceKind(
        "trainer",
        lambda entrant: entrant.trainer_no,
        lambda detail: detail.trainer_no,
        load_trainers,
        upsert_trainers,
        KraClient.fetch_trainer,
        KraClient.list_trainers,
    ),
)


@dataclass
class EnrichmentOutcome:
    """Enriched rows of a race day and what it cost."""

    rows: list[EnrichedEntrant]
    api_calls: int
    plans: list[FetchPlan] = field(default_factory=list)

    @property
    def missing_detail_count(self) -> int:
        return sum(1 for row in self.rows if row.missing_details)


@dataclass
class _KindFetch:
    """Fetching the missing ids of one kind at one meet, listing by listing."""

    engine: Engine
    client: KraClient
    kind: ReferenceKind
    meet: int
    now: datetime
    cut_off: datetime
    found: dict[str, Any] = field(default_factory=dict)

    def listing(self, name: str, default_cost: int) -> ListingState:
        last = listing_of(self.engine, name, self.meet)
        page_size = self.client.settings.api_page_size
        cost = listing_cost(last.listed_count if last else None, page_size, default_cost)
        return ListingState(fresh=last is not None and last.fetched_at >= self.cut_off, cost=cost)

    def take(self, name: str, lister: Lister) -> None:
        listed = lister(self.client, self.meet)
        # Stored before the listing is marked fresh: a run of another process that sees it
        # fresh then finds its ids in the cache instead of looking each one up.
        self.kind.upsert(self.engine, listed, fetched_at=self.now)
        for detail in listed:
            self.found[self.kind.detail_id(detail)] = detail
        record_listing(self.engine, name, self.meet, self.now, len(listed))

    def look_up(self, ids: Sequence[str]) -> None:
        looked_up = [d for d in (self.kind.fetch_one(self.client, i) for i in ids) if d]
        self.kind.upsert(self.engine, looked_up, fetched_at=self.now)
        for detail in looked_up:
            self.found[self.kind.detail_id(detail)] = detail

    def stored_since_listing(self, missing: set[str]) -> set[str]:
        """Ids a concurrent run's fresh listing stored after this run read the cache; they
        join `found`, and the ids still missing are returned."""
        stored = self.kind.load(self.engine, missing, fresher_than=self.cut_off)
        self.found.update(stored)
        return missing - stored.keys()


def _fetch_kind(fetch: _KindFetch, missing: set[str], old_day: bool) -> FetchPlan:
    """Fetch the missing ids of one kind into `fetch.found`; the plan as carried out."""
    kind = fetch.kind
    active = fetch.listing(kind.name, DEFAULT_LISTING_COST[kind.name])
    full = None
    spent = 0
    if kind.list_with_retired is not None:
        full = fetch.listing(kind.full_name, DEFAULT_FULL_LISTING_COST)
        if not full.fresh:
            spent = lookups_since(fetch.engine, kind.name, fetch.meet, fetch.cut_off)
    if active.fresh or (full is not None and full.fresh):
        missing = fetch.stored_since_listing(missing)
    plan = plan_fetch(
        kind.name,
        missing,
        active.cost,
        listing_is_fresh=active.fresh,
        full=full,
        spent=spent,
        old_day=old_day,
    )
    if plan.listing == ACTIVE:
        fetch.take(kind.name, kind.list_meet)
    leftovers = sorted(missing - fetch.found.keys())
    with_retired = kind.list_with_retired
    if (
        full is not None
        and with_retired is not None
        and (plan.listing == FULL or take_full_listing(len(leftovers), full, spent))
    ):
        fetch.take(kind.full_name, with_retired)
        plan = replace(plan, listing=FULL, listing_cost=full.cost)
        full = ListingState(fresh=True, cost=full.cost)
        leftovers = sorted(missing - fetch.found.keys())
    # Ids a fresh listing lacked (transferred, or retired when KRA ignored act_gubun) can only
    # be looked up one by one; while no fresh retired-inclusive listing exists, they are rent.
    fetch.look_up(leftovers)
    if full is not None and not full.fresh and leftovers:
        record_lookups(
            fetch.engine,
            kind.name,
            fetch.meet,
            fetch.now,
            len(leftovers),
            forget_before=fetch.cut_off,
        )
    return plan


def enrich_races(
    engine: Engine,
    client: KraClient,
    races: Sequence[Race],
    *,
    max_age: timedelta,
    now: datetime | None = None,
) -> EnrichmentOutcome:
    """Join every entrant with fresh reference details, fetching only what the cache lacks."""
    now = now or datetime.now(UTC)
    calls_before = client.stats.total_calls
    entrants = [entrant for race in races for entrant in race.entrants]
    if not entrants:  # a day without racing: nothing to look up, not even the cache
        return EnrichmentOutcome([], 0, [])
    meet = races[0].meet
    old_day = is_old_race_day(races[0].race_date, now)
    details: dict[str, dict[str, Any]] = {}
    plans = []
    for kind in REFERENCE_KINDS:
        wanted = {i for i in (kind.entrant_id(e) for e in entrants) if i}
        cached = kind.load(engine, wanted, fresher_than=now - max_age)
        missing = wanted - cached.keys()
        if missing:
            fetch = _KindFetch(engine, client, kind, meet, now, now - max_age)
            plans.append(_fetch_kind(fetch, missing, old_day))  # stores what it fetches
            cached.update({i: d for i, d in fetch.found.items() if i in wanted})
        else:
            plans.append(FetchPlan(kind.name, ()))
        details[kind.name] = cached
    rows = [
        EnrichedEntrant.build(
            entrant,
            details["horse"].get(entrant.horse_no),
            details["jockey"].get(entrant.jockey_no or ""),
            details["trainer"].get(entrant.trainer_no or ""),
        )
        for entrant in entrants
    ]
    return EnrichmentOutcome(rows, client.stats.total_calls - calls_before, plans)
