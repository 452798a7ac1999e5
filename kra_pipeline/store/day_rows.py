"""The stored rows of one race day (races, cards, results) read in one consistent snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import EntrantResultRow, EntrantRow, RaceRow

GateKey = tuple[int, int]


@dataclass(frozen=True)
class RaceDayRows:
    """Races by race number, cards in race and gate order, results by (race, gate)."""

    races: list[RaceRow]
    cards: list[EntrantRow]
    results: dict[GateKey, EntrantResultRow]

    def cards_by_race(self) -> dict[int, list[EntrantRow]]:
        grouped: dict[int, list[EntrantRow]] = {}
        for card in self.cards:
            grouped.setdefault(card.race_no, []).append(card)
        return grouped


def read_race_day_rows(session: Session, race_date: str, meet: int) -> RaceDayRows:
    """The day's race, card and result rows; call inside a read session."""
    check_race_day(race_date, meet)
    races = session.scalars(
        select(RaceRow).where(*day_filter(RaceRow, race_date, meet)).order_by(RaceRow.race_no)
    ).all()
    cards = session.scalars(
        select(EntrantRow)
        .where(*day_filter(EntrantRow, race_date, meet))
        .order_by(EntrantRow.race_no, EntrantRow.gate_no)
    ).all()
    results = session.scalars(
        select(EntrantResultRow).where(*day_filter(EntrantResultRow, race_date, meet))
    )
    return RaceDayRows(
        list(races), list(cards), {(row.race_no, row.gate_no): row for row in results}
    )
