"""/api/v2/races: what the race store holds for one race day."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status

from kra_api.auth import Caller, require_read
from kra_api.routers.params import MeetQuery, RaceDateQuery
from kra_api.schemas import RaceList, check_race_date
from kra_api.services.launcher import partition_key
from kra_api.services.race_store import races_for_day

router = APIRouter(prefix="/api/v2/races", tags=["races"])


@router.get("", response_model=RaceList)
async def list_races(
    date: RaceDateQuery,
    meet: MeetQuery,
    _caller: Annotated[Caller, Depends(require_read)],
) -> Any:
    """Collected races with entrants (and enrichment when it was run); empty when not collected."""
    try:
        check_race_date(date)
        partition_key(date, meet)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    races = await asyncio.to_thread(races_for_day, date, meet)
    return {"date": date, "meet": meet, "count": len(races), "races": races}
