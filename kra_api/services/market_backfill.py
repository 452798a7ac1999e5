"""The market history backfill: which meet-months to fetch, what they cost, whether to launch.

Shared by `kra backfill --market` and POST /api/v2/collection/backfill with market=true. The
meet × month partitions are those holding a race day the race store holds in the range (the
market feeds race days: a month with none held has nothing to attach it to); the estimate
(market_estimate) reads those races' starters and today's count of each API's calls.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, select

from kra_api.schemas import BackfillRequest
from kra_api.services.market_estimate import (
    DEFAULT_STARTERS,
    MarketEstimate,
    MeetMonth,
    estimate_market,
)
from kra_pipeline.contract import DATE_FORMAT, FIRST_RACE_DATE, MEET_CODES, kst_today
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import DailyQuota
from kra_pipeline.kra.market.pool_months import MARKET_APIS
from kra_pipeline.store.db import read_session
from kra_pipeline.store.tables import EntrantRow, RaceRow


class MarketRangeError(ValueError):
    """A market backfill range the partitions cannot cover; the message says what to change."""


@dataclass(frozen=True)
class MarketPlan:
    """The range asked for, its meet-months with held race days, and their cost."""

    date_from: str
    date_to: str
    meets: tuple[int, ...]
    estimate: MarketEstimate

    @property
    def meet_months(self) -> tuple[MeetMonth, ...]:
        return self.estimate.meet_months


def market_range(request: BackfillRequest) -> tuple[str, str]:
    """The request's range with the defaults (20150101 → today in Seoul), checked."""
    today = kst_today().strftime(DATE_FORMAT)
    date_from = request.date_from or FIRST_RACE_DATE
    date_to = request.date_to or today
    if date_from < FIRST_RACE_DATE:
        raise MarketRangeError(
            f"date_from {date_from} is before {FIRST_RACE_DATE}, where the race-day and "
            f"market partitions start: give a date_from of {FIRST_RACE_DATE} or later"
        )
    if date_to > today:
        raise MarketRangeError(
            f"date_to {date_to} is after today ({today} in Seoul): the market of a race day "
            "exists once it has been run; give a date_to of today or earlier"
        )
    if date_from > date_to:
        raise MarketRangeError(f"date_from {date_from} is after date_to {date_to}: swap them")
    return date_from, date_to


def held_races(
    engine: Engine, date_from: str, date_to: str, meets: tuple[int, ...]
) -> dict[MeetMonth, list[int]]:
    """Starters of every race the store holds in the range, by (meet, month); a race with no
    stored entrants counts DEFAULT_STARTERS."""
    starters = (
        select(
            RaceRow.race_date,
            RaceRow.meet,
            RaceRow.race_no,
            func.count(EntrantRow.id).filter(EntrantRow.is_scratched.is_(False)),
        )
        .outerjoin(
            EntrantRow,
            and_(
                EntrantRow.race_date == RaceRow.race_date,
                EntrantRow.meet == RaceRow.meet,
                EntrantRow.race_no == RaceRow.race_no,
            ),
        )
        .where(RaceRow.race_date.between(date_from, date_to), RaceRow.meet.in_(meets))
        .group_by(RaceRow.race_date, RaceRow.meet, RaceRow.race_no)
    )
    held: dict[MeetMonth, list[int]] = defaultdict(list)
    with read_session(engine) as session:
        for race_date, meet, _race_no, count in session.execute(starters):
            held[(int(meet), str(race_date)[:6])].append(int(count) or DEFAULT_STARTERS)
    return dict(held)


def used_today(settings: KraSettings) -> dict[str, int]:
    """Calls each market API has made today (KST), by the pipeline's own daily count."""
    quota = DailyQuota.from_settings(settings)
    try:
        return {api: quota.used(api) for api in MARKET_APIS}
    finally:
        quota.close()


def plan_market_backfill(engine: Engine, request: BackfillRequest) -> MarketPlan:
    """The meet-months of the held race days in the request's range, and their estimate."""
    date_from, date_to = market_range(request)
    meets = tuple(sorted(request.meets or MEET_CODES))
    settings = KraSettings()
    estimate = estimate_market(
        held_races(engine, date_from, date_to, meets),
        daily_quota=settings.daily_quota_per_api,
        default_quota=settings.daily_quota,
        used_today=used_today(settings),
    )
    return MarketPlan(date_from, date_to, meets, estimate)


def nothing_held(plan: MarketPlan) -> str:
    """The reason a plan has no partition: no race day held in its range."""
    meets = ",".join(str(m) for m in plan.meets)
    return (
        f"the race store holds no race day from {plan.date_from} to {plan.date_to} for meets "
        f"{meets}, so there is no market to attach: collect the race days first (kra backfill "
        f"--from {plan.date_from} --to {plan.date_to}), then ask again"
    )
