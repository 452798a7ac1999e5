"""What the race store knows of a meet-month's results, with no call: the starters and finishing
order of each race, the truth the market's integrity checks are held to.

Read from the stored API4_3 month answer when there is one (it lists every entrant of the
month), else from the collected race days; `source` says which, or that neither is stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, select

from kra_pipeline.kra.market.pool_integrity import DayKey, RaceKey
from kra_pipeline.races.models import RaceEntrant, envelope_items
from kra_pipeline.store.db import read_session
from kra_pipeline.store.market_months import month_dates
from kra_pipeline.store.race_months import load_raw_race_month
from kra_pipeline.store.tables import EntrantResultRow, EntrantRow

FROM_MONTH_ANSWER = "API4_3 month answer"
FROM_COLLECTED = "collected race days"
FROM_NOTHING = "no results stored"


@dataclass
class MonthResults:
    """Starters and finishing orders of a meet-month's races, and the days with results."""

    source: str
    starters: dict[RaceKey, int] = field(default_factory=dict)
    finish_orders: dict[RaceKey, list[int]] = field(default_factory=dict)
    race_days: set[str] = field(default_factory=set)

    @property
    def result_days(self) -> set[DayKey]:
        return {race[:2] for race in self.finish_orders}


def _add(
    results: MonthResults,
    placed: dict[RaceKey, list[tuple[int, int]]],
    race: RaceKey,
    gate: int,
    scratched: bool,
    position: int | None,
) -> None:
    results.race_days.add(race[0])
    if scratched:
        return
    results.starters[race] = results.starters.get(race, 0) + 1
    if position is not None:
        placed[race].append((position, gate))


def month_results(engine: Engine, meet: int, month: str) -> MonthResults:
    """The month's results from the cheapest stored source (no call)."""
    placed: dict[RaceKey, list[tuple[int, int]]] = defaultdict(list)
    stored = load_raw_race_month(engine, month, meet)
    if stored is not None:
        results = MonthResults(FROM_MONTH_ANSWER)
        for page in stored.pages:
            for item in envelope_items(page):
                entrant = RaceEntrant.from_item(item)
                race = (entrant.race_date, entrant.meet, entrant.race_no)
                scratched, position = entrant.is_scratched, entrant.finish_position
                _add(results, placed, race, entrant.gate_no, scratched, position)
    else:
        results = _collected(engine, meet, month, placed)
    results.finish_orders = {
        race: [gate for _, gate in sorted(rows)] for race, rows in placed.items()
    }
    return results


def _collected(
    engine: Engine, meet: int, month: str, placed: dict[RaceKey, list[tuple[int, int]]]
) -> MonthResults:
    first, last = month_dates(month)
    card, result = EntrantRow, EntrantResultRow
    joined = and_(
        *(getattr(card, c) == getattr(result, c) for c in ("race_date", "meet", "race_no")),
        card.gate_no == result.gate_no,
    )
    with read_session(engine) as session:
        rows = session.execute(
            select(
                card.race_date,
                card.race_no,
                card.gate_no,
                card.is_scratched,
                result.finish_position,
            )
            .outerjoin(result, joined)
            .where(card.meet == meet, card.race_date >= first, card.race_date <= last)
        ).all()
    results = MonthResults(FROM_COLLECTED if rows else FROM_NOTHING)
    for race_date, race_no, gate, scratched, position in rows:
        _add(results, placed, (race_date, meet, race_no), gate, scratched, position)
    return results
