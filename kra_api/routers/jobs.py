"""/api/v2/jobs: Dagster runs seen as v2 jobs; each key sees its own runs and the UI's."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from kra_api.auth import Caller, require_read, require_write
from kra_api.deps import get_gateway
from kra_api.gateway import FINISHED, DagsterGateway
from kra_api.schemas import JobDetail, JobList, JobStatus, Message
from kra_api.services import jobs_view
from kra_pipeline.contract import (
    CALLER_TAG,
    JobType,
)

router = APIRouter(prefix="/api/v2/jobs", tags=["jobs"])

Reader = Annotated[Caller, Depends(require_read)]
Writer = Annotated[Caller, Depends(require_write)]
GatewayDep = Annotated[DagsterGateway, Depends(get_gateway)]
# Far beyond any run history, and inside every database's integer range.
MAX_OFFSET = 1_000_000_000
NOT_FOUND = HTTPException(status.HTTP_404_NOT_FOUND, detail="Job not found")

_BACKFILL_STATUS: dict[str, str] = {
    "REQUESTED": "processing",
    "COMPLETED": "completed",
    "COMPLETED_SUCCESS": "completed",
    "COMPLETED_FAILED": "failed",
    "FAILED": "failed",
    "CANCELING": "cancelled",
    "CANCELED": "cancelled",
}


@router.get("/", response_model=JobList)
async def list_jobs(
    caller: Reader,
    gateway: GatewayDep,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    job_type: JobType | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """Newest first; `status` and `job_type` narrow the list."""
    statuses = jobs_view.dagster_statuses(status_) if status_ else []
    runs, total = await asyncio.to_thread(
        gateway.list_runs,
        caller=caller.fingerprint,
        statuses=statuses,
        job_type=job_type,
        limit=limit,
        offset=offset,
    )
    return {
        "jobs": [jobs_view.summary(run) for run in runs],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def _backfill_progress(backfill: dict[str, Any]) -> int:
    """Share of the backfill's partitions whose run has finished (100 once it is complete);
    a batched run counts every partition it covered."""
    if backfill["completed_at"]:
        return 100
    partitions = len(backfill["partitions"]) or 1
    return min(99, int(100 * backfill["partitions_finished"] / partitions))


def _backfill_document(backfill_id: str, backfill: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_id": backfill_id,
        "type": "backfill",
        "status": _BACKFILL_STATUS.get(backfill["status"], "processing"),
        "job_name": "backfill",
        "partition": None,
        "launched_by": "api" if CALLER_TAG in backfill["tags"] else "dagster",
        "created_at": backfill["created_at"],
        "started_at": backfill["created_at"],
        "completed_at": backfill["completed_at"],
        "progress": _backfill_progress(backfill),
        "current_step": None,
        "parameters": {"partitions": backfill["partitions"]},
        "result": None,
        "error_message": backfill["error"],
        "logs": [],
    }


def _detail(gateway: DagsterGateway, job_id: str, caller: str) -> dict[str, Any] | None:
    run = gateway.get_run(job_id)
    if run is not None:
        if not jobs_view.visible_to(run, caller):
            return None
        return jobs_view.detail_document(run, gateway.run_detail(run.run_id))
    backfill = _own_backfill(gateway, job_id, caller)
    return None if backfill is None else _backfill_document(job_id, backfill)


def _own_backfill(gateway: DagsterGateway, backfill_id: str, caller: str) -> dict[str, Any] | None:
    """The backfill, if this caller launched it or it came from the UI."""
    backfill = gateway.backfill(backfill_id)
    if backfill is None or backfill["tags"].get(CALLER_TAG) not in (None, caller):
        return None
    return backfill


@router.get("/{job_id}", response_model=JobDetail)
async def get_job(job_id: str, caller: Reader, gateway: GatewayDep) -> Any:
    """Status, progress, parameters, result, failure reason and the newest 100 log lines."""
    document = await asyncio.to_thread(_detail, gateway, job_id, caller.fingerprint)
    if document is None:
        raise NOT_FOUND
    return document


@router.post(
    "/{job_id}/cancel",
    response_model=Message,
    responses={404: {"description": "Unknown job"}, 409: {"description": "Already finished"}},
)
async def cancel_job(job_id: str, caller: Writer, gateway: GatewayDep) -> Any:
    """Cancel a queued or running run, as the UI's Terminate button does, or a backfill."""
    run = await asyncio.to_thread(gateway.get_run, job_id)
    if run is None:
        return await _cancel_backfill(job_id, caller, gateway)
    if not jobs_view.visible_to(run, caller.fingerprint):
        raise NOT_FOUND
    if run.status in (*FINISHED, "CANCELING"):
        current = jobs_view.STATUS_MAP[run.status]
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"Job already {current}; only queued or processing jobs can be cancelled",
        )
    await asyncio.to_thread(gateway.cancel_run, run.run_id)
    return {"message": "Job cancelled successfully"}


async def _cancel_backfill(backfill_id: str, caller: Caller, gateway: DagsterGateway) -> Any:
    backfill = await asyncio.to_thread(_own_backfill, gateway, backfill_id, caller.fingerprint)
    if backfill is None:
        raise NOT_FOUND
    current = _BACKFILL_STATUS.get(backfill["status"], "processing")
    if current != "processing":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"Backfill already {current}; only a backfill in progress can be cancelled",
        )
    await asyncio.to_thread(gateway.cancel_backfill, backfill_id)
    return {"message": "Backfill cancelled: no new runs start, and runs in flight are cancelled"}
