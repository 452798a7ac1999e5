"""/api/v2/collection: start collections (sync, async, backfill) and report a race day's status."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse

from kra_api.auth import Caller, require_read, require_write
from kra_api.deps import get_gateway, get_launcher, get_settings
from kra_api.gateway import DagsterGateway
from kra_api.routers.params import MeetQuery, RaceDateQuery
from kra_api.schemas import (
    BackfillAccepted,
    BackfillCost,
    BackfillEstimated,
    BackfillRequest,
    CollectionAccepted,
    CollectionRequest,
    CollectionResult,
    CollectionStatus,
    RaceResult,
    RaceResultRequest,
    check_race_date,
)
from kra_api.services.backfill_costs import estimate_backfill
from kra_api.services.backfill_estimate import BackfillEstimate
from kra_api.services.collection_status import compute_collection_status
from kra_api.services.launcher import (
    CollectionLauncher,
    Launched,
    RaceDayBusy,
    backfill_partition_keys,
    is_ahead,
)
from kra_api.services.market_backfill import (
    MarketPlan,
    MarketRangeError,
    nothing_held,
    plan_market_backfill,
)
from kra_api.services.race_result import RaceNotStored, ResultNotYet, race_result
from kra_api.services.race_store import races_for_day, upcoming_races, without_results
from kra_api.settings import ApiSettings
from kra_pipeline.contract import (
    InvalidRaceDay,
    race_day_partition_key,
)

router = APIRouter(prefix="/api/v2/collection", tags=["collection"])

BUSY = (
    "Another run of the race day is in flight: its id in X-Job-Id when it is yours; "
    "Retry-After says when to ask again"
)
Launcher = Annotated[CollectionLauncher, Depends(get_launcher)]
Writer = Annotated[Caller, Depends(require_write)]
Reader = Annotated[Caller, Depends(require_read)]


def _unprocessable(exc: ValueError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc))


async def _launch(
    launcher: CollectionLauncher, body: CollectionRequest, caller: Caller
) -> Launched:
    """Launch or share a run; 422 for a day that is no partition, 409 for a busy day."""
    try:
        return await asyncio.to_thread(launcher.launch, body, caller.fingerprint)
    except InvalidRaceDay as exc:
        raise _unprocessable(exc) from exc
    except RaceDayBusy as exc:
        headers = {"Retry-After": str(exc.retry_after)}
        if exc.run_id is not None:  # the caller's own run; another key's id is not disclosed
            headers["X-Job-Id"] = exc.run_id
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc), headers=headers) from exc


def _accepted(job_id: str, estimate: int, message: str) -> dict[str, Any]:
    return CollectionAccepted(
        job_id=job_id,
        webhook_url=f"/api/v2/jobs/{job_id}",
        estimated_time=estimate,
        message=message,
    ).model_dump()


@router.post(
    "/",
    response_model=CollectionResult,
    responses={
        202: {"model": CollectionAccepted},
        409: {"description": BUSY},
        502: {"description": "Nothing collected"},
    },
)
async def collect(
    body: CollectionRequest,
    caller: Writer,
    launcher: Launcher,
    settings: Annotated[ApiSettings, Depends(get_settings)],
) -> Any:
    """Collect a race day and answer with its races, waiting up to COLLECTION_SYNC_WAIT_SECONDS."""
    launched = await _launch(launcher, body, caller)
    run = await launcher.wait(
        launched.run_id, settings.sync_wait_seconds, settings.poll_interval_seconds
    )
    if run is None:
        estimate = await asyncio.to_thread(launcher.estimated_seconds, body.options.enrich)
        message = (
            f"still running after {settings.sync_wait_seconds:g}s; "
            "follow webhook_url for the outcome"
        )
        return JSONResponse(_accepted(launched.run_id, estimate, message), status_code=202)
    read = upcoming_races if is_ahead(body.date) else races_for_day
    races = await asyncio.to_thread(read, body.date, body.meet, body.race_numbers)
    if not body.options.get_results:
        races = [without_results(race) for race in races]
    if run.status != "SUCCESS" or not races:
        detail = await asyncio.to_thread(launcher.gateway.run_detail, run.run_id, 0)
        reason = detail.error_message or (
            (
                "the entry sheet of this day is not published yet (KRA puts it out about two "
                "days before the races): ask again then"
                if is_ahead(body.date)
                else "the run succeeded but KRA returned no races for this day"
            )
            if run.status == "SUCCESS"
            else f"the run ended {run.status.lower()}"
        )
        asked = body.race_numbers or ["all"]
        if races:
            missing = [n for n in asked if n not in {r.get("race_no") for r in races}]
            return CollectionResult(
                status="partial",
                message=f"collection ended {run.status.lower()}: {reason}",
                job_id=run.run_id,
                data=races,
            ).model_dump() | {"errors": [{"race_no": n, "error": reason} for n in missing]}
        return JSONResponse(
            {
                "detail": f"nothing was collected for {body.date} meet {body.meet}: {reason}",
                "job_id": run.run_id,
                "errors": [{"race_no": n, "error": reason} for n in asked],
            },
            status_code=502,
        )
    complete = body.race_numbers is None or len(races) >= len(body.race_numbers)
    return CollectionResult(
        status="success" if complete else "partial",
        message=f"collected {len(races)} race(s) for {body.date} meet {body.meet}",
        job_id=run.run_id,
        data=races,
    )


@router.post(
    "/async",
    status_code=202,
    response_model=CollectionAccepted,
    responses={409: {"description": BUSY}},
)
async def collect_async(body: CollectionRequest, caller: Writer, launcher: Launcher) -> Any:
    """Start a collection and answer at once; poll webhook_url for progress."""
    launched = await _launch(launcher, body, caller)
    estimate = await asyncio.to_thread(launcher.estimated_seconds, body.options.enrich)
    message = "Collection job already running" if launched.reused else "Collection job started"
    return _accepted(launched.run_id, estimate, message)


@router.get("/status", response_model=CollectionStatus)
async def collection_status(
    date: RaceDateQuery,
    meet: MeetQuery,
    _caller: Reader,
    gateway: Annotated[DagsterGateway, Depends(get_gateway)],
) -> Any:
    """How many races of the day are collected and enriched, and what is running."""
    try:
        check_race_date(date)
        race_day_partition_key(date, meet)
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    return await asyncio.to_thread(compute_collection_status, gateway, date, meet)


@router.post(
    "/result",
    response_model=RaceResult,
    responses={404: {"description": "race not stored"}, 409: {"description": "no result yet"}},
)
async def collection_result(body: RaceResultRequest, _caller: Reader) -> Any:
    """The top three of one collected race and what each pool paid, from the race store."""
    try:
        race_day_partition_key(body.date, body.meet)
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    try:
        return await asyncio.to_thread(race_result, body.date, body.meet, body.race_no)
    except RaceNotStored as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except ResultNotYet as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc


def _backfill_estimate(keys: list[str]) -> BackfillEstimate:
    from kra_pipeline.store.db import get_engine

    return estimate_backfill(get_engine(), keys)


@router.post(
    "/backfill",
    status_code=202,
    response_model=BackfillAccepted,
    responses={
        200: {"model": BackfillEstimated, "description": "dry_run=true: the estimate only"},
        422: {"description": "a bad range, or a large one sent without confirm=true"},
    },
)
async def backfill(
    body: BackfillRequest,
    caller: Writer,
    launcher: Launcher,
    settings: Annotated[ApiSettings, Depends(get_settings)],
) -> Any:
    """(Re)collect a date range × meets as one Dagster backfill (see the UI's backfill page),
    saying first what it costs: partitions, KRA calls per API and days of the daily quota.
    With market=true, the market history of the held race days by meet × month instead."""
    if body.market:
        return await _market_backfill(body, caller, launcher)
    try:
        keys = backfill_partition_keys(body)
    except InvalidRaceDay as exc:
        raise _unprocessable(exc) from exc
    estimate = await asyncio.to_thread(_backfill_estimate, keys)
    cost, summary = BackfillCost(**estimate.as_dict()), estimate.summary()
    limit = settings.backfill_confirm_partitions
    needs_confirm = len(keys) > limit
    if body.dry_run:
        message = f"Estimate only, nothing launched: {summary}" + (
            f"; more than {limit} partitions, so launching needs confirm=true"
            if needs_confirm
            else ""
        )
        return JSONResponse(
            BackfillEstimated(
                estimate=cost, needs_confirm=needs_confirm, message=message
            ).model_dump()
        )
    if needs_confirm and not body.confirm:
        detail = (
            f"this backfill is large ({summary}): more than API_BACKFILL_CONFIRM_PARTITIONS="
            f"{limit} partitions; send confirm=true to launch it, or a shorter range"
        )
        return JSONResponse(
            {"detail": detail, "estimate": cost.model_dump()},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    backfill_id = await asyncio.to_thread(launcher.launch_backfill, keys, caller.fingerprint)
    return BackfillAccepted(
        job_id=backfill_id,
        backfill_id=backfill_id,
        partitions=len(keys),
        estimate=cost,
        message=f"Backfill started ({summary}); follow /api/v2/jobs/{backfill_id}",
    )


def _market_plan(body: BackfillRequest) -> MarketPlan:
    from kra_pipeline.store.db import get_engine

    return plan_market_backfill(get_engine(), body)


async def _market_backfill(
    body: BackfillRequest, caller: Caller, launcher: CollectionLauncher
) -> Any:
    """market=true: 422 for a range with no partition or no held race day; 422 when an API's
    estimate exceeds what is left of today's quota, unless spread=true; else the backfill."""
    try:
        plan = await asyncio.to_thread(_market_plan, body)
    except MarketRangeError as exc:
        raise _unprocessable(exc) from exc
    estimate = plan.estimate
    cost, summary = BackfillCost(**estimate.as_dict()), estimate.summary()
    if not plan.meet_months and not body.dry_run:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=nothing_held(plan))
    refusal = estimate.quota_refusal()
    if body.dry_run:
        message = f"Estimate only, nothing launched: {summary}" + (
            f"; launching needs spread=true: {refusal}" if refusal else ""
        )
        if not plan.meet_months:
            message = f"Estimate only, nothing to fetch: {nothing_held(plan)}"
        return JSONResponse(
            BackfillEstimated(
                estimate=cost, needs_confirm=refusal is not None, message=message
            ).model_dump()
        )
    if refusal and not body.spread:
        return JSONResponse(
            {"detail": refusal, "estimate": cost.model_dump()},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    backfill_id = await asyncio.to_thread(
        launcher.launch_market_backfill, list(plan.meet_months), caller.fingerprint
    )
    pause = " spread over the daily quota: stopped runs resume after 00:00 KST" if refusal else ""
    return BackfillAccepted(
        job_id=backfill_id,
        backfill_id=backfill_id,
        partitions=estimate.partitions,
        estimate=cost,
        message=f"Market backfill started ({summary}){pause}; follow /api/v2/jobs/{backfill_id}",
    )
