"""The estimate of a backfill from what the store holds now and the KRA settings in force.

Reads the index of stored month answers (not their pages) and the registry listings, then
hands them to the pure model in backfill_estimate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from kra_api.logging_setup import get_logger
from kra_api.services.backfill_estimate import BackfillEstimate, KnownState
from kra_api.services.backfill_estimate import estimate_backfill as model
from kra_pipeline.contract import TIMEZONE, kst_today
from kra_pipeline.enrichment.plan import ListingState, listing_cost, reference_max_age_days
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.store.db import read_session
from kra_pipeline.store.tables import RawRaceMonthRow, ReferenceListingRow

KST = ZoneInfo(TIMEZONE)
log = get_logger(__name__)


def known_state(engine: Engine, page_size: int, now: datetime) -> KnownState:
    """Stored month answers (when fetched, how many pages) and listings (fresh, price)."""
    fresh_since = now - timedelta(days=reference_max_age_days())
    months: dict[tuple[str, int], date] = {}
    pages: dict[int, list[int]] = defaultdict(list)
    listings: dict[tuple[str, int], ListingState] = {}
    with read_session(engine) as session:
        index = select(
            RawRaceMonthRow.month,
            RawRaceMonthRow.meet,
            RawRaceMonthRow.fetched_at,
            RawRaceMonthRow.api_calls,
        )
        for month, meet, fetched_at, calls in session.execute(index):
            months[(month, meet)] = fetched_at.astimezone(KST).date()
            pages[meet].append(calls)
        for row in session.scalars(select(ReferenceListingRow)):
            listings[(row.kind, row.meet)] = ListingState(
                fresh=row.fetched_at >= fresh_since,
                cost=listing_cost(row.listed_count, page_size, default=1),  # its own size
            )
    return KnownState(
        months=months,
        month_pages={meet: sum(spent) / len(spent) for meet, spent in pages.items()},
        listings=listings,
    )


def estimate_backfill(engine: Engine, keys: Sequence[str]) -> BackfillEstimate:
    """What launching a backfill of `keys` now would cost, by the pipeline's own settings."""
    settings = KraSettings()
    now = datetime.now(UTC)
    return model(
        keys,
        today=kst_today(),
        now=now,
        recent_days=settings.recent_days,
        history_source=settings.history_source,
        page_size=settings.api_page_size,
        daily_quota=settings.daily_quota_per_api,
        default_quota=settings.daily_quota,
        known=_known_or_nothing(engine, settings.api_page_size, now),
    )


def _known_or_nothing(engine: Engine, page_size: int, now: datetime) -> KnownState:
    """What the store holds; when it cannot be read, an estimate as for an empty store (the
    upper bound) rather than none: the launch itself does not need these tables."""
    try:
        return known_state(engine, page_size, now)
    except Exception as error:
        log.warning("backfill_estimate_store_unread", error=str(error).splitlines()[0][:300])
        return KnownState()
