"""/api/v2/predict/track-record: the stored pre-race predictions scored against the results
that came later, per card kind, overall and per week, beside uniform and the market."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from kra_api.auth import Caller, require_read
from kra_api.routers.predict import router as predict_router
from kra_api.schemas import check_race_date
from kra_pipeline.contract import DATE_FORMAT, CardKind, kst_today

router = APIRouter(prefix=predict_router.prefix, tags=["predict"])


def _track_record(date_from: str, date_to: str, card: str | None) -> dict[str, Any]:
    from kra_pipeline.prediction.track_record import (
        BadRange,
        records,
        track_record,
        weekly_table,
    )
    from kra_pipeline.store.db import get_engine

    try:
        record = track_record(get_engine(), date_from, date_to, card)
    except BadRange as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    return {
        "date_from": date_from,
        "date_to": date_to,
        "card": card,
        "overall": records(record["overall"]),
        "weeks": records(weekly_table(record["weeks"])),
        "weekly_scores": records(record["weeks"]),
    }


@router.get("/track-record")
async def get_track_record(
    _caller: Annotated[Caller, Depends(require_read)],
    date_from: Annotated[
        str | None, Query(description="first race date YYYYMMDD; omit: 12 weeks before date_to")
    ] = None,
    date_to: Annotated[
        str | None, Query(description="last race date YYYYMMDD; omit: today")
    ] = None,
    card: Annotated[CardKind | None, Query(description="one card kind; omit: every kind")] = None,
) -> dict[str, Any]:
    """How the predictions made before the races did: log-loss, Brier, top-1, winner in top 3,
    exact trio and calibration with 95% intervals and race counts, per card kind and week."""
    from kra_pipeline.prediction.track_record import default_range

    try:
        date_to = check_race_date(date_to) if date_to else kst_today().strftime(DATE_FORMAT)
        date_from = check_race_date(date_from) if date_from else None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    if date_from is None:
        date_from = default_range(datetime.strptime(date_to, DATE_FORMAT).date())[0]
    return await asyncio.to_thread(_track_record, date_from, date_to, card.value if card else None)
