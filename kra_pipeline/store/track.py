"""Track condition and weather of a race day (API189_1), replaced per day in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from kra_pipeline.kra.track import TrackReport
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import TrackReportRow

REPORT_FIELDS = (
    "condition",
    "moisture",
    "weather",
    "temperature",
    "humidity",
    "wind_direction",
    "wind_speed",
)


def replace_track_reports(
    engine: Engine, race_date: str, meet: int, reports: Sequence[TrackReport]
) -> None:
    check_race_day(race_date, meet)
    strays = sorted({r.race_date for r in reports} - {race_date})
    if strays:
        raise ValueError(f"track reports of {strays} handed in for {race_date}")
    stamp = datetime.now(UTC)
    rows = [{**asdict(r), "meet": meet, "fetched_at": stamp} for r in reports]
    with write_session(engine) as session:
        session.execute(delete(TrackReportRow).where(*day_filter(TrackReportRow, race_date, meet)))
        if rows:
            session.execute(insert(TrackReportRow), rows)


def load_track_reports(engine: Engine, race_date: str, meet: int) -> dict[int, dict[str, Any]]:
    """Each race's report of the day, by race number (only the mapped fields)."""
    check_race_day(race_date, meet)
    with read_session(engine) as session:
        rows = session.scalars(
            select(TrackReportRow).where(*day_filter(TrackReportRow, race_date, meet))
        ).all()
        return {row.race_no: {name: getattr(row, name) for name in REPORT_FIELDS} for row in rows}
