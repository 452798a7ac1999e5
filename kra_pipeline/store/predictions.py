"""Stored race predictions: written once per race day before its results, read by the REST
shim. A day that has results keeps the predictions made before them."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, delete, insert, select

from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import race_predictions

COLUMNS = ("race_no", "gate_no", "horse_no", "win_probability", "predicted_rank",
           "model_version", "predicted_at")  # fmt: skip


def replace_predictions(
    engine: Engine, race_date: str, meet: int, predicted: pd.DataFrame, model_version: str
) -> datetime:
    """Store a day's predictions (replacing earlier ones of that day); answers the time."""
    check_race_day(race_date, meet)
    at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {
            "race_date": race_date,
            "meet": meet,
            "race_no": int(row.race_no),
            "gate_no": int(row.gate_no),
            "horse_no": str(row.horse_no),
            "win_probability": float(row.win_probability),
            "predicted_rank": int(row.predicted_rank),
            "model_version": model_version,
            "predicted_at": at,
        }
        for row in predicted.itertuples()
    ]
    with write_session(engine) as session:
        table = race_predictions
        session.execute(delete(table).where(*day_filter(table.c, race_date, meet)))
        if rows:
            session.execute(insert(table), rows)
    return at


def load_predictions(engine: Engine, race_date: str, meet: int) -> pd.DataFrame:
    """A day's stored predictions by race and rank (empty frame when none)."""
    check_race_day(race_date, meet)
    table = race_predictions
    query = (
        select(*(table.c[name] for name in COLUMNS))
        .where(*day_filter(table.c, race_date, meet))
        .order_by(table.c.race_no, table.c.predicted_rank)
    )
    with read_session(engine) as session:
        rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=list(COLUMNS))
