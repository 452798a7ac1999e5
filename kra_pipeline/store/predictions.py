"""Stored race predictions, one row per (race day, card kind, race, gate): the latest made
from that card before the race's results, or, for a race never predicted before its results,
the first made after them, flagged `results_existed` (never scored as a pre-race prediction).

A race's rows are replaced as a whole, and only until its results are stored: after that what
was predicted stays as it was, so a pre-race prediction is never replaced by a later one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, delete, insert, select

from kra_pipeline.contract import CARD_KINDS
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import RaceRow, race_predictions

COLUMNS = ("race_no", "gate_no", "horse_no", "win_probability", "predicted_rank",
           "model_version", "card", "card_at", "made_at", "results_existed")  # fmt: skip


def _check_card(card: str) -> None:
    if card not in CARD_KINDS:
        raise ValueError(f"card must be one of {', '.join(CARD_KINDS)}; got {card!r}")


def store_predictions(
    engine: Engine,
    race_date: str,
    meet: int,
    predicted: pd.DataFrame,
    *,
    card: str,
    card_at: datetime | None,
    model_version: str,
) -> dict[str, object]:
    """Store a day's predictions made from `card` now; answers when, and which races were
    stored, kept (predicted before and finished since) or stored after their results."""
    check_race_day(race_date, meet)
    _check_card(card)
    made_at = datetime.now(UTC)
    table = race_predictions
    with write_session(engine) as session:
        finished = set(
            session.scalars(
                select(RaceRow.race_no).where(
                    *day_filter(RaceRow, race_date, meet),
                    RaceRow.results_at.is_not(None),
                    RaceRow.results_at <= made_at,
                )
            )
        )
        stored = set(
            session.scalars(
                select(table.c.race_no).where(
                    *day_filter(table.c, race_date, meet), table.c.card == card
                )
            )
        )
        races = sorted({int(n) for n in predicted["race_no"]})
        kept = [n for n in races if n in finished and n in stored]
        replaced = [n for n in races if n not in kept]
        rows = [
            {
                "race_date": race_date,
                "meet": meet,
                "card": card,
                "race_no": int(row.race_no),
                "gate_no": int(row.gate_no),
                "horse_no": str(row.horse_no),
                "win_probability": float(row.win_probability),
                "predicted_rank": int(row.predicted_rank),
                "model_version": model_version,
                "card_at": card_at,
                "made_at": made_at,
                "results_existed": int(row.race_no) in finished,
            }
            for row in predicted.itertuples()
            if int(row.race_no) in replaced
        ]
        session.execute(
            delete(table).where(
                *day_filter(table.c, race_date, meet, replaced), table.c.card == card
            )
        )
        if rows:
            session.execute(insert(table), rows)
    return {
        "made_at": made_at,
        "stored_races": replaced,
        "kept_races": kept,
        "after_results_races": sorted(n for n in replaced if n in finished),
    }


def load_predictions(
    engine: Engine, race_date: str, meet: int, card: str | None = None
) -> pd.DataFrame:
    """A day's stored predictions (of one card kind, or all) by card, race and rank."""
    check_race_day(race_date, meet)
    table = race_predictions
    query = select(*(table.c[name] for name in COLUMNS)).where(
        *day_filter(table.c, race_date, meet)
    )
    if card is not None:
        _check_card(card)
        query = query.where(table.c.card == card)
    query = query.order_by(table.c.card, table.c.race_no, table.c.predicted_rank)
    with read_session(engine) as session:
        rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=list(COLUMNS))


def load_pre_race_predictions(
    engine: Engine, date_from: str, date_to: str, card: str | None = None
) -> pd.DataFrame:
    """Every stored prediction made before its race's results, from `date_from` to `date_to`
    (YYYYMMDD, both included), with its race day key."""
    table = race_predictions
    names = ("race_date", "meet", *COLUMNS)
    query = select(*(table.c[name] for name in names)).where(
        table.c.race_date >= date_from,
        table.c.race_date <= date_to,
        table.c.results_existed.is_(False),
    )
    if card is not None:
        _check_card(card)
        query = query.where(table.c.card == card)
    query = query.order_by(table.c.race_date, table.c.meet, table.c.card, table.c.race_no)
    with read_session(engine) as session:
        rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=list(names))
