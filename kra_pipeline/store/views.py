"""Read-only views of a race day for the REST status, `GET /api/v2/races` and `kra diagnose`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from kra_pipeline.kra.models import DETAIL_KINDS, RACE_FIELDS, RATE_FIELDS
from kra_pipeline.store.day_rows import read_race_day_rows
from kra_pipeline.store.db import read_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import (
    CARD_COLUMNS,
    RESULT_COLUMNS,
    EnrichedEntrantRow,
    EntrantRow,
    RaceRow,
    RawRaceDayRow,
)

_ENRICHMENT_COLUMNS = (
    *(f"{kind}_{name}" for kind in DETAIL_KINDS for name in RATE_FIELDS),
    "horse_rating",
    "missing_details",
)


@dataclass(frozen=True)
class RaceDaySummary:
    """How far a race day has come: fetched, collected, finished, enriched."""

    race_date: str
    meet: int
    has_raw_pages: bool
    race_count: int
    entry_count: int
    finished_race_count: int
    enriched_entry_count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def race_day_summary(engine: Engine, race_date: str, meet: int) -> RaceDaySummary:
    """Row counts of a race day in each stage (all zero when nothing was stored)."""
    check_race_day(race_date, meet)

    def count(table: Any, *extra: Any) -> Any:
        return (
            select(func.count())
            .select_from(table)
            .where(*day_filter(table, race_date, meet), *extra)
        )

    with read_session(engine) as session:
        return RaceDaySummary(
            race_date=race_date,
            meet=meet,
            has_raw_pages=bool(session.scalar(count(RawRaceDayRow))),
            race_count=session.scalar(count(RaceRow)) or 0,
            entry_count=session.scalar(count(EntrantRow)) or 0,
            finished_race_count=session.scalar(count(RaceRow, RaceRow.is_finished)) or 0,
            enriched_entry_count=session.scalar(count(EnrichedEntrantRow)) or 0,
        )


def list_races(engine: Engine, race_date: str, meet: int) -> list[dict[str, Any]]:
    """JSON-ready races of a day: card per entrant, `result` once finished, `enrichment` if any.

    `result` and `enrichment` are None when absent, so clients can tell "not yet" from zero.
    """
    with read_session(engine) as session:
        day = read_race_day_rows(session, race_date, meet)
        enriched = _by_gate(
            session.scalars(
                select(EnrichedEntrantRow).where(*day_filter(EnrichedEntrantRow, race_date, meet))
            )
        )
    entrants: dict[int, list[dict[str, Any]]] = {}
    for card in day.cards:
        gate = (card.race_no, card.gate_no)
        result = day.results.get(gate)
        enrichment = enriched.get(gate)
        entrants.setdefault(card.race_no, []).append(
            {
                **{name: getattr(card, name) for name in CARD_COLUMNS},
                "result": _pick(result, RESULT_COLUMNS),
                "enrichment": _pick(enrichment, _ENRICHMENT_COLUMNS),
            }
        )
    return [
        {
            "race_date": race.race_date,
            "meet": race.meet,
            "race_no": race.race_no,
            **{name: getattr(race, name) for name in RACE_FIELDS},
            "is_finished": race.is_finished,
            "collected_at": race.collected_at.isoformat(),
            "entrants": entrants.get(race.race_no, []),
        }
        for race in day.races
    ]


def _by_gate(rows: Any) -> dict[tuple[int, int], Any]:
    return {(row.race_no, row.gate_no): row for row in rows}


def _pick(row: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    return None if row is None else {name: getattr(row, name) for name in names}
