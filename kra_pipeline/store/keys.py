"""Selecting the rows of one race day (optionally some of its races) in any race-store table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement

from kra_pipeline.contract import (
    MEET_CODES,
    MEET_HELP,
    RACE_DATE_RE,
)


def check_race_day(race_date: str, meet: int) -> None:
    """Reject a malformed key before it reaches SQL, with the form the store expects."""
    if not isinstance(race_date, str) or not RACE_DATE_RE.match(race_date):
        raise ValueError(f"race_date must be YYYYMMDD, e.g. '20250523'; got {race_date!r}")
    if meet not in MEET_CODES:
        raise ValueError(f"meet must be one of {MEET_HELP}; got {meet!r}")


def day_filter(
    table: Any, race_date: str, meet: int, race_numbers: Iterable[int] | None = None
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the day's rows, narrowed to `race_numbers` when given."""
    clauses: list[ColumnElement[bool]] = [table.race_date == race_date, table.meet == meet]
    if race_numbers is not None:
        clauses.append(table.race_no.in_(sorted(race_numbers)))
    return clauses


def check_race_numbers(
    race_date: str, meet: int, found: Iterable[tuple[str, int, int]], race_numbers: set[int] | None
) -> None:
    """Every row handed in must belong to the day (and to the races being replaced)."""
    for row_date, row_meet, race_no in found:
        if (row_date, row_meet) != (race_date, meet):
            raise ValueError(
                f"race {row_date}/{row_meet}/R{race_no} does not belong to race day "
                f"{race_date}/{meet}: pass the races of one race day at a time"
            )
        if race_numbers is not None and race_no not in race_numbers:
            raise ValueError(
                f"race R{race_no} is not among the race numbers being replaced "
                f"{sorted(race_numbers)}: add it to race_numbers or leave it out"
            )
