"""Enriched entrants: the flat per-entrant form table, replaced per race day like the card."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert, select

from kra_pipeline.races.models import EnrichedEntrant
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, check_race_numbers, day_filter
from kra_pipeline.store.tables import EnrichedEntrantRow

ENRICHED_FIELDS = tuple(EnrichedEntrant.model_fields)


def replace_enriched_race_day(
    engine: Engine,
    race_date: str,
    meet: int,
    rows: list[EnrichedEntrant],
    race_numbers: set[int] | None = None,
) -> None:
    """Replace the enrichment of a day (or only of `race_numbers`) in one transaction."""
    check_race_day(race_date, meet)
    check_race_numbers(
        race_date, meet, [(r.race_date, r.meet, r.race_no) for r in rows], race_numbers
    )
    values = [row.model_dump() for row in rows]
    with write_session(engine) as session:
        session.execute(
            delete(EnrichedEntrantRow).where(
                *day_filter(EnrichedEntrantRow, race_date, meet, race_numbers)
            )
        )
        if values:
            session.execute(insert(EnrichedEntrantRow), values)


def load_enriched_race_day(engine: Engine, race_date: str, meet: int) -> list[EnrichedEntrant]:
    """The stored enrichment of a day, sorted by race and gate."""
    check_race_day(race_date, meet)
    with read_session(engine) as session:
        stored = session.scalars(
            select(EnrichedEntrantRow)
            .where(*day_filter(EnrichedEntrantRow, race_date, meet))
            .order_by(EnrichedEntrantRow.race_no, EnrichedEntrantRow.gate_no)
        ).all()
        return [
            EnrichedEntrant(**{name: getattr(row, name) for name in ENRICHED_FIELDS})
            for row in stored
        ]
