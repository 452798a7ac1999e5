"""Dagster runs as v2 "jobs": the status map, job types and who launched them."""

from __future__ import annotations

import json
from typing import Any

from kra_api.gateway import RunDetail, RunView
from kra_pipeline.contract import (
    BACKFILL_TAG,
    CALLER_TAG,
    COLLECT_WITH_ENRICHMENT_JOB,
    JOB_TYPE_TAG,
    OPTIONS_TAG,
    PARTITION_TAG,
    JobType,
    selected_race_numbers,
)

STATUS_MAP: dict[str, str] = {
    "QUEUED": "queued",
    "NOT_STARTED": "queued",
    "SUSPENDED": "queued",
    "STARTING": "processing",
    "STARTED": "processing",
    "MANAGED": "processing",
    "SUCCESS": "completed",
    "FAILURE": "failed",
    "CANCELING": "cancelled",
    "CANCELED": "cancelled",
}


def dagster_statuses(job_status: str) -> list[str]:
    """The Dagster run statuses a v2 status stands for (for RunsFilter)."""
    return [name for name, mapped in STATUS_MAP.items() if mapped == job_status]


def job_type(run: RunView) -> str:
    """The run's kind as tagged; untagged runs are backfills or collections (the UI's)."""
    tagged = run.tags.get(JOB_TYPE_TAG)
    if tagged in set(JobType):
        return str(tagged)
    return (JobType.BACKFILL if BACKFILL_TAG in run.tags else JobType.COLLECTION).value


def launched_by(run: RunView) -> str:
    """'api' for runs launched through the shim, 'dagster' for the UI, schedules and sensors."""
    return "api" if CALLER_TAG in run.tags else "dagster"


def visible_to(run: RunView, caller: str) -> bool:
    return run.tags.get(CALLER_TAG) in (None, caller)


def parameters(run: RunView) -> dict[str, Any]:
    try:
        options = json.loads(run.tags.get(OPTIONS_TAG, ""))
    except ValueError:
        options = {"enrich": run.job_name == COLLECT_WITH_ENRICHMENT_JOB, "get_results": False}
    return {
        "partition": run.tags.get(PARTITION_TAG),
        "race_numbers": selected_race_numbers(run.run_config),
        "options": options,
    }


def summary(run: RunView) -> dict[str, Any]:
    return {
        "job_id": run.run_id,
        "type": job_type(run),
        "status": STATUS_MAP.get(run.status, "processing"),
        "job_name": run.job_name,
        "partition": run.tags.get(PARTITION_TAG),
        "launched_by": launched_by(run),
        "created_at": run.created_at,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
    }


def progress(run: RunView, detail: RunDetail) -> int:
    if run.status == "SUCCESS":
        return 100
    if detail.steps_total <= 0:
        return 0
    return min(100, round(100 * detail.steps_done / detail.steps_total))


def detail_document(run: RunView, detail: RunDetail) -> dict[str, Any]:
    return {
        **summary(run),
        "progress": progress(run, detail),
        "current_step": detail.current_step,
        "parameters": parameters(run),
        "result": detail.materializations or None,
        "error_message": detail.error_message,
        "logs": [vars(line) for line in detail.logs],
    }
