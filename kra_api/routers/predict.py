"""/api/v2/predict: win probabilities of a race day's runners, and what model made them."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from kra_api.auth import Caller, require_read
from kra_api.schemas import check_race_date
from kra_api.services.predictions import (
    NoCard,
    NoModel,
    NotServed,
    model_info,
    predictions_for_day,
)
from kra_pipeline.contract import (
    MAX_RACE_NO,
    MEET_CODES,
    MEET_HELP,
    CardKind,
    race_day_partition_key,
)
from kra_pipeline.prediction.artefact import ModelSawTheDay

router = APIRouter(prefix="/api/v2/predict", tags=["predict"])


class PredictRequest(BaseModel):
    """One race day, or one race of it."""

    model_config = ConfigDict(extra="forbid")

    date: str = Field(..., description="Race date YYYYMMDD", examples=["20250622"])
    meet: StrictInt = Field(..., ge=min(MEET_CODES), le=max(MEET_CODES), description=MEET_HELP)
    race_no: StrictInt | None = Field(None, ge=1, le=MAX_RACE_NO, description="omit: every race")
    card: CardKind | None = Field(
        None, description="card to predict from; omit: sheet for a day ahead, morning from the day"
    )

    @field_validator("date")
    @classmethod
    def _real_day(cls, value: str) -> str:
        return check_race_date(value)


def _answer(call: Any) -> Any:
    try:
        return call()
    except NoModel as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    except ModelSawTheDay as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except (NoCard, NotServed) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc


@router.post("/")
async def predict(
    body: PredictRequest, _caller: Annotated[Caller, Depends(require_read)]
) -> dict[str, Any]:
    """Stored predictions of the day, else computed now by the newest model (never one trained
    on this day); 503 while no model exists."""
    try:
        race_day_partition_key(body.date, body.meet)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    return await asyncio.to_thread(
        _answer,
        lambda: predictions_for_day(
            body.date, body.meet, body.race_no, body.card.value if body.card else None
        ),
    )


@router.get("/model-info")
async def get_model_info(_caller: Annotated[Caller, Depends(require_read)]) -> dict[str, Any]:
    """The served model: version, training window, features, walk-forward evaluation and the
    promotion record (when, why, both figures); 404 with the reason while none is served."""
    return await asyncio.to_thread(_answer, model_info)
