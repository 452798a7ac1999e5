"""/api/v2/entrants: flat entrant rows of a date range, with point-in-time form, JSON or CSV."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response

from kra_api.auth import Caller, require_read
from kra_api.routers.params import MeetsQuery, RaceDateQuery, unknown_meets
from kra_api.schemas import check_race_date
from kra_api.services.entrants import MAX_RANGE_DAYS, as_csv, as_records, entrant_page

router = APIRouter(prefix="/api/v2/entrants", tags=["entrants"])
MAX_LIMIT = 5000
CSV = "text/csv"


@router.get("")
async def list_entrants(
    request: Request,
    date_from: RaceDateQuery,
    date_to: RaceDateQuery,
    _caller: Annotated[Caller, Depends(require_read)],
    meet: MeetsQuery = None,
    form: Annotated[bool, Query(description="add point-in-time form columns")] = True,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: Annotated[Literal["json", "csv"] | None, Query(description="or Accept")] = None,
) -> Any:
    """One row per entrant (scratched included) from date_from to date_to, paged by
    limit/offset; CSV with `format=csv` or `Accept: text/csv` (total in X-Total-Count)."""
    try:
        first, last = (_day(check_race_date(d)) for d in (date_from, date_to))
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    if first > last:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"date_from {date_from} is after date_to {date_to}: swap them",
        )
    if (last - first).days >= MAX_RANGE_DAYS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"at most {MAX_RANGE_DAYS} days per request; use `kra export` for more",
        )
    if reason := unknown_meets(meet):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=reason)
    page, total = await asyncio.to_thread(
        entrant_page, date_from, date_to, meet, form, limit, offset
    )
    wants_csv = format == "csv" or (format is None and CSV in request.headers.get("accept", ""))
    headers = {"X-Total-Count": str(total)}
    if wants_csv:
        return Response(as_csv(page), media_type=f"{CSV}; charset=utf-8", headers=headers)
    body = {"total": total, "limit": limit, "offset": offset, "entrants": as_records(page)}
    return JSONResponse(body, headers=headers)


def _day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))
