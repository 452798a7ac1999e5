"""/api/v2/races: what the race store holds for one race day or a range of them, paged."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from kra_api.auth import Caller, require_read
from kra_api.routers.params import (
    MeetQuery,
    MeetsQuery,
    OptionalRaceDateQuery,
    RaceDateQuery,
    unknown_meets,
)
from kra_api.schemas import RaceList, check_race_date
from kra_api.services.race_store import races_in_range, upcoming_races
from kra_pipeline.contract import (
    MEET_CODES,
    race_day_partition_key,
)

router = APIRouter(prefix="/api/v2/races", tags=["races"])
MAX_LIMIT = 500


def _unprocessable(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)


@router.get("", response_model=RaceList)
async def list_races(
    _caller: Annotated[Caller, Depends(require_read)],
    date: OptionalRaceDateQuery = None,
    date_from: OptionalRaceDateQuery = None,
    date_to: OptionalRaceDateQuery = None,
    meet: MeetsQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """Collected races with entrants (and enrichment, scratch reasons, track and dividends
    where stored) of one day (`date`) or of `date_from`..`date_to`, in date, meet and race
    order; `total` counts the races of the whole selection, `limit`/`offset` page it."""
    if date is not None and (date_from or date_to):
        raise _unprocessable("give either date, or date_from and date_to, not both")
    first, last = (date, date) if date is not None else (date_from, date_to or date_from)
    if first is None or last is None:
        raise _unprocessable("give date (one day) or date_from (and date_to for a range)")
    if reason := unknown_meets(meet):
        raise _unprocessable(reason)
    meets = sorted(set(meet)) if meet else list(MEET_CODES)
    try:
        for day in (first, last):
            check_race_date(day)
            race_day_partition_key(day, meets[0])
    except ValueError as exc:
        raise _unprocessable(str(exc)) from exc
    if first > last:
        raise _unprocessable(f"date_from {first} is after date_to {last}: swap them")
    races, total = await asyncio.to_thread(races_in_range, first, last, meets, limit, offset)
    one_day = first == last and len(meets) == 1
    return {
        "date": first if one_day else None,
        "meet": meets[0] if one_day else None,
        "date_from": first,
        "date_to": last,
        "meets": meets,
        "total": total,
        "limit": limit,
        "offset": offset,
        "count": len(races),
        "races": races,
    }


@router.get("/upcoming")
async def list_upcoming_races(
    date: RaceDateQuery,
    meet: MeetQuery,
    _caller: Annotated[Caller, Depends(require_read)],
) -> Any:
    """An upcoming day's card as its entry sheet (API26_2) first listed it: what was known
    before the race, kept after the real card and the results arrive; empty until fetched."""
    try:
        check_race_date(date)
        race_day_partition_key(date, meet)
    except ValueError as exc:
        raise _unprocessable(str(exc)) from exc
    races = await asyncio.to_thread(upcoming_races, date, meet)
    return {"date": date, "meet": meet, "count": len(races), "races": races}
