"""The stored pre-race cards of a race day, exactly as written, for the card-integrity check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from kra_pipeline.store.db import read_session
from kra_pipeline.store.keys import day_filter
from kra_pipeline.store.tables import EntrantRow

StoredCard = tuple[int, int, dict[str, Any]]


def load_race_cards(engine: Engine, race_date: str, meet: int) -> list[StoredCard]:
    """(race_no, gate_no, pre-race JSON) of every stored entrant of the day."""
    query = (
        select(EntrantRow.race_no, EntrantRow.gate_no, EntrantRow.pre_race)
        .where(*day_filter(EntrantRow, race_date, meet))
        .order_by(EntrantRow.race_no, EntrantRow.gate_no)
    )
    with read_session(engine) as session:
        return [(row.race_no, row.gate_no, dict(row.pre_race)) for row in session.execute(query)]
