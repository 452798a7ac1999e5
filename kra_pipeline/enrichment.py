"""Enrichment of a race day with horse, jockey and trainer form, spending as few calls as possible.

Reference details live in the race store with the time they were fetched. Only ids whose
details are missing or older than the cache age are fetched, and for each kind the cheaper
path is chosen: a per-id look-up for a few ids, or one whole-meet listing when many are missing.
A listing holds only the active registry, so while the last listing of a meet is still fresh,
ids it lacked (retired or transferred) go straight to per-id look-ups instead of a new listing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.models import EnrichedEntrant, Race
from kra_pipeline.store import repository
from kra_pipeline.store.listings import last_listing, record_listing

# Calls a whole-meet listing usually costs at a page size of 1000 (a meet has ~1,500 horses
# and well under 100 jockeys or trainers). A listing wins once more ids than this are missing.
DEFAULT_LISTING_COST: dict[str, int] = {"horse": 2, "jockey": 1, "trainer": 1}


@dataclass(frozen=True)
class ReferenceKind:
    """How one kind of reference detail is keyed, cached and fetched."""

    name: str
    entrant_id: Callable[[Any], str | None]
    detail_id: Callable[[Any], str]
    load: Callable[..., dict[str, Any]]
    upsert: Callable[..., None]
    fetch_one: Callable[[KraClient, str], Any]
    list_meet: Callable[[KraClient, int], list[Any]]


REFERENCE_KINDS: tuple[ReferenceKind, ...] = (
    ReferenceKind(
        "horse",
        lambda entrant: entrant.horse_no,
        lambda detail: detail.horse_no,
        repository.load_horses,
        repository.upsert_horses,
        KraClient.fetch_horse,
        KraClient.list_horses,
    ),
    ReferenceKind(
        "jockey",
        lambda entrant: entrant.jockey_no,
        lambda detail: detail.jockey_no,
        repository.load_jockeys,
        repository.upsert_jockeys,
        KraClient.fetch_jockey,
        KraClient.list_jockeys,
    ),
    ReferenceKind(
        "trainer",
        lambda entrant: entrant.trainer_no,
        lambda detail: detail.trainer_no,
        repository.load_trainers,
        repository.upsert_trainers,
        KraClient.fetch_trainer,
        KraClient.list_trainers,
    ),
)


@dataclass(frozen=True)
class FetchPlan:
    """What to fetch for one kind: the missing ids and whether a listing is cheaper."""

    kind: str
    missing: tuple[str, ...]
    use_listing: bool

    @property
    def estimated_calls(self) -> int:
        if not self.missing:
            return 0
        return DEFAULT_LISTING_COST[self.kind] if self.use_listing else len(self.missing)


def plan_fetch(
    kind: str,
    missing: Iterable[str],
    listing_cost: int | None = None,
    *,
    listing_is_fresh: bool = False,
) -> FetchPlan:
    """Per-id look-ups while they are cheaper than a listing (or a fresh listing lacked
    them), otherwise one listing."""
    ids = tuple(sorted(set(missing)))
    cost = DEFAULT_LISTING_COST[kind] if listing_cost is None else listing_cost
    return FetchPlan(kind=kind, missing=ids, use_listing=not listing_is_fresh and len(ids) > cost)


@dataclass
class EnrichmentOutcome:
    """Enriched rows of a race day and what it cost."""

    rows: list[EnrichedEntrant]
    api_calls: int
    plans: list[FetchPlan] = field(default_factory=list)

    @property
    def missing_detail_count(self) -> int:
        return sum(1 for row in self.rows if row.missing_details)


def _fetch_missing(
    engine: Engine,
    kind: ReferenceKind,
    plan: FetchPlan,
    client: KraClient,
    meet: int,
    now: datetime,
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if plan.use_listing:
        wanted = set(plan.missing)
        for detail in kind.list_meet(client, meet):
            found[kind.detail_id(detail)] = detail
        record_listing(engine, kind.name, meet, now, len(found))
        # A listing holds only active horses and people: the retired or transferred ones of
        # an older race day are looked up by id.
        leftovers = sorted(wanted - found.keys())
    else:
        leftovers = list(plan.missing)
    for detail_id in leftovers:
        detail = kind.fetch_one(client, detail_id)
        if detail is not None:
            found[kind.detail_id(detail)] = detail
    return found


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
    details: dict[str, dict[str, Any]] = {}
    plans = []
    for kind in REFERENCE_KINDS:
        wanted = {i for i in (kind.entrant_id(e) for e in entrants) if i}
        cached = kind.load(engine, wanted, fresher_than=now - max_age)
        listed_at = last_listing(engine, kind.name, meet)
        fresh_listing = listed_at is not None and listed_at >= now - max_age
        plan = plan_fetch(kind.name, wanted - cached.keys(), listing_is_fresh=fresh_listing)
        plans.append(plan)
        if plan.missing:
            fetched = _fetch_missing(engine, kind, plan, client, meet, now)
            kind.upsert(engine, list(fetched.values()), fetched_at=now)
            cached.update({i: d for i, d in fetched.items() if i in wanted})
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
