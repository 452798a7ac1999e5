"""Cards of upcoming race days as first seen (API26_2): a row is written once, when its entrant
first appears, and only its `last_seen_at` moves after that, so the card known before the race
survives later sheets, the real card and the results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from kra_pipeline.kra.upcoming import ENTRY_SHEET_API, EntrySheetRow
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import FirstSeenCardRow

# What an upcoming race carries (taken from its first entrant) and what each entrant carries.
_RACE_FIELDS = ("distance", "post_time")
_ENTRANT_FIELDS = (
    "gate_no",
    "horse_no",
    "horse_name",
    "jockey_no",
    "jockey_name",
    "trainer_no",
    "trainer_name",
    "carried_weight",
    "rating",
    "first_seen_at",
    "last_seen_at",
)
_COLUMNS = tuple(
    column.name for column in FirstSeenCardRow.__table__.columns if column.name != "id"
)


def keep_first_seen(
    engine: Engine,
    race_date: str,
    meet: int,
    rows: Sequence[EntrySheetRow],
    seen_at: datetime | None = None,
) -> int:
    """Add the entrants not seen before (returns how many), touch the others; `seen_at`
    (default now) replays a fetch of another time."""
    check_race_day(race_date, meet)
    strays = sorted({row.race_date for row in rows} - {race_date})
    if strays:
        raise ValueError(f"entry-sheet rows of {strays} handed in for {race_date}")
    now = seen_at or datetime.now(UTC)
    table = FirstSeenCardRow
    with write_session(engine) as session:
        seen = {
            (race_no, gate_no)
            for race_no, gate_no in session.execute(
                select(table.race_no, table.gate_no).where(*day_filter(table, race_date, meet))
            )
        }
        new = [
            {**asdict(row), "meet": meet, "first_seen_at": now, "last_seen_at": now}
            for row in rows
            if (row.race_no, row.gate_no) not in seen
        ]
        if new:
            session.execute(insert(table), new)
        if seen:
            session.execute(
                update(table).where(*day_filter(table, race_date, meet)).values(last_seen_at=now)
            )
    return len(new)


def load_first_seen(engine: Engine, race_date: str, meet: int) -> list[dict[str, Any]]:
    """The day's first-seen card, in race and gate order, JSON-ready."""
    check_race_day(race_date, meet)
    table = FirstSeenCardRow
    with read_session(engine) as session:
        rows = session.scalars(
            select(table)
            .where(*day_filter(table, race_date, meet))
            .order_by(table.race_no, table.gate_no)
        ).all()
        return [
            {
                name: (value.isoformat() if isinstance(value, datetime) else value)
                for name in _COLUMNS
                for value in [getattr(row, name)]
            }
            for row in rows
        ]


def first_seen_races(
    engine: Engine, race_date: str, meet: int, race_numbers: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """The day's first-seen card grouped by race (optionally some races), empty until the
    entry sheet is fetched."""
    wanted = set(race_numbers or ())
    races: dict[int, dict[str, Any]] = {}
    for row in load_first_seen(engine, race_date, meet):
        if wanted and row["race_no"] not in wanted:
            continue
        race = races.setdefault(
            row["race_no"],
            {
                "race_date": race_date,
                "meet": meet,
                "race_no": row["race_no"],
                **{name: row[name] for name in _RACE_FIELDS},
                "source": ENTRY_SHEET_API,
                "entrants": [],
            },
        )
        race["entrants"].append({name: row[name] for name in _ENTRANT_FIELDS})
    return list(races.values())
