"""Plain-Python views of Dagster run records, events and materializations for the shim."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dagster import RunRecord


@dataclass(frozen=True)
class RunView:
    """One run as the job routes show it."""

    run_id: str
    job_name: str
    status: str
    tags: Mapping[str, str]
    run_config: Mapping[str, Any]
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class LogLine:
    """One event-log line of a run."""

    timestamp: datetime
    level: str
    event: str | None
    step: str | None
    message: str


@dataclass
class RunDetail:
    """What the event log says about one run."""

    steps_total: int = 0
    steps_done: int = 0
    current_step: str | None = None
    error_message: str | None = None
    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)
    logs: list[LogLine] = field(default_factory=list)


@dataclass(frozen=True)
class Materialization:
    """The newest materialization of one asset for one partition."""

    asset: str
    run_id: str | None
    timestamp: datetime
    metadata: Mapping[str, Any]


@dataclass(frozen=True)
class QuotaStop:
    """A run that a spent daily quota stopped: when, and when the quota resets (the resume
    sensor asks again for its undone race days after that)."""

    run_id: str
    stopped_at: datetime
    resets_at: datetime


def timestamp_or_none(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def plain_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata values as JSON-ready Python, without the markdown preview."""
    out: dict[str, Any] = {}
    for name, value in metadata.items():
        if name == "preview":
            continue
        raw = getattr(value, "value", value)
        out[name] = raw if isinstance(raw, str | int | float | bool | list | dict) else str(raw)
    return out


def run_view(record: RunRecord) -> RunView:
    run = record.dagster_run
    return RunView(
        run_id=run.run_id,
        job_name=run.job_name,
        status=run.status.value,
        tags=dict(run.tags),
        run_config=dict(run.run_config or {}),
        created_at=record.create_timestamp,
        started_at=timestamp_or_none(record.start_time),
        completed_at=timestamp_or_none(record.end_time),
    )


def level_name(level: int | str) -> str:
    return logging.getLevelName(level) if isinstance(level, int) else str(level)


def options_tag(enrich: bool, get_results: bool) -> str:
    return json.dumps({"enrich": enrich, "get_results": get_results}, sort_keys=True)


def _wraps_another_error(error: Any) -> bool:
    """Dagster's own envelopes around the error that really stopped a step."""
    name = error.cls_name or ""
    return (
        name.startswith("Dagster")
        or name == "RetryRequested"
        or error.message.startswith("Exceeded max_retries")
    )


def first_real_cause(error: Any) -> str:
    """The message of the first error in the chain that is not Dagster's envelope.

    After its retries a step fails with "Exceeded max_retries of 3"; the reason a user can act
    on ("could not reach API214_1 …", "attempt to write a readonly database") is its cause.
    """
    link = error
    while link is not None:
        if not _wraps_another_error(link):
            return link.message.strip()
        link = link.cause or link.context
    return error.message.strip()
