"""Raw API4_3 month answers: one row per (month, meet), replaced whole by a new fetch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select

from kra_pipeline.contract import (
    MEET_CODES,
    MEET_HELP,
)
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.tables import RawRaceMonthRow

_MONTH_RE = re.compile(r"^[0-9]{4}(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class RawRaceMonth:
    """A stored month answer: its pages as KRA sent them and when they were fetched."""

    month: str
    meet: int
    pages: list[dict[str, Any]]
    total_count: int
    api_calls: int
    fetched_at: datetime


def check_month(month: str, meet: int) -> None:
    if not isinstance(month, str) or not _MONTH_RE.match(month):
        raise ValueError(f"month must be YYYYMM, e.g. '202505'; got {month!r}")
    if meet not in MEET_CODES:
        raise ValueError(f"meet must be one of {MEET_HELP}; got {meet!r}")


def save_raw_race_month(
    engine: Engine,
    month: str,
    meet: int,
    pages: list[dict[str, Any]],
    total_count: int,
    api_calls: int,
    fetched_at: datetime | None = None,
) -> None:
    """Keep a month's API4_3 pages exactly as received, replacing an earlier fetch."""
    check_month(month, meet)
    table = RawRaceMonthRow
    with write_session(engine) as session:
        session.execute(delete(table).where(table.month == month, table.meet == meet))
        session.add(
            RawRaceMonthRow(
                month=month,
                meet=meet,
                pages=pages,
                total_count=total_count,
                api_calls=api_calls,
                fetched_at=fetched_at or datetime.now(UTC),
            )
        )


def load_raw_race_month(engine: Engine, month: str, meet: int) -> RawRaceMonth | None:
    """The stored month answer, or None when it was never fetched."""
    check_month(month, meet)
    table = RawRaceMonthRow
    with read_session(engine) as session:
        row = session.scalar(select(table).where(table.month == month, table.meet == meet))
        if row is None:
            return None
        return RawRaceMonth(
            month=row.month,
            meet=row.meet,
            pages=row.pages,
            total_count=row.total_count,
            api_calls=row.api_calls,
            fetched_at=row.fetched_at,
        )
