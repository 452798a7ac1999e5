"""Flat entrant rows (card, result, point-in-time form) for GET /api/v2/entrants, JSON or CSV."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

# A request computes form over the history up to its last day: keep one request to a season.
MAX_RANGE_DAYS = 366


def entrant_page(
    date_from: str, date_to: str, meets: list[int] | None, form: bool, limit: int, offset: int
) -> tuple[pd.DataFrame, int]:
    """The rows `offset` to `offset + limit` of the range, and how many rows the range has."""
    from kra_pipeline.dataset import entrants
    from kra_pipeline.store.db import get_engine

    frame = entrants(date_from, date_to, meets, form=form, engine=get_engine())
    return frame.iloc[offset : offset + limit], len(frame)


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: dates YYYYMMDD as everywhere in /api/v2, nulls as null."""
    return json.loads(_wire(frame).to_json(orient="records", force_ascii=False))


def as_csv(frame: pd.DataFrame) -> str:
    return _wire(frame).to_csv(index=False)


def _wire(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(
        race_date=frame["race_date"].dt.strftime("%Y%m%d"), meet=frame["meet"].astype("Int64")
    )
