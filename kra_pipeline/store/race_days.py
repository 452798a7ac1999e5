"""Race store reads and writes; every write is one transaction, so a re-run replaces, never adds.

This module keeps the raw and collected race day; reference data (horses, jockeys, trainers),
enrichment and the read-only views live in sibling modules (`reference`, `enriched`, `views`).

A race that has not finished is stored as its card only: the result placeholders KRA sends
before the off (`ord=0`, `rcTime=0`, zero sectionals) are dropped, so such an entrant loads with
`raw == pre_race_view()` and no sectionals. Finished races round-trip to equal models.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from kra_pipeline.races.models import RACE_FIELDS, Race, RaceEntrant
from kra_pipeline.store.day_rows import read_race_day_rows
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, check_race_numbers, day_filter
from kra_pipeline.store.tables import (
    CARD_COLUMNS,
    RESULT_COLUMNS,
    EntrantResultRow,
    EntrantRow,
    RaceRow,
    RawRaceDayRow,
)


def save_raw_race_day(
    engine: Engine,
    race_date: str,
    meet: int,
    pages: list[dict[str, Any]],
    api_calls: int,
    fetched_at: datetime | None = None,
) -> None:
    """Keep the API pages of a race day exactly as received, replacing an earlier fetch."""
    check_race_day(race_date, meet)
    with write_session(engine) as session:
        session.execute(delete(RawRaceDayRow).where(*day_filter(RawRaceDayRow, race_date, meet)))
        session.add(
            RawRaceDayRow(
                race_date=race_date,
                meet=meet,
                pages=pages,
                api_calls=api_calls,
                fetched_at=fetched_at or datetime.now(UTC),
            )
        )


def load_raw_race_day(engine: Engine, race_date: str, meet: int) -> list[dict[str, Any]] | None:
    """The stored pages of a race day, or None when it was never fetched."""
    check_race_day(race_date, meet)
    with read_session(engine) as session:
        query = select(RawRaceDayRow.pages).where(*day_filter(RawRaceDayRow, race_date, meet))
        return session.scalar(query)


def replace_collected_race_day(
    engine: Engine,
    race_date: str,
    meet: int,
    races: list[Race],
    race_numbers: set[int] | None = None,
    collected_at: datetime | None = None,
) -> None:
    """Replace the races, cards and results of a day (or only of `race_numbers`) atomically.

    With `race_numbers=None` the whole day is replaced, so races KRA no longer lists disappear;
    with a set, races outside it are left as they are.
    """
    check_race_day(race_date, meet)
    check_race_numbers(
        race_date, meet, [(r.race_date, r.meet, r.race_no) for r in races], race_numbers
    )
    repeated = [no for no, count in Counter(r.race_no for r in races).items() if count > 1]
    if repeated:
        raise ValueError(f"race numbers {sorted(repeated)} appear twice: group entrants first")
    stamp = collected_at or datetime.now(UTC)
    race_rows, card_rows, result_rows = [], [], []
    with read_session(engine) as session:
        earlier = {
            row.race_no: (row.first_collected_at, row.results_at)
            for row in session.execute(
                select(RaceRow.race_no, RaceRow.first_collected_at, RaceRow.results_at).where(
                    *day_filter(RaceRow, race_date, meet, race_numbers)
                )
            )
        }
    for race in races:
        first, results = earlier.get(race.race_no, (None, None))
        race_rows.append(
            {
                **_race_row(race, stamp),
                "first_collected_at": first or stamp,
                "results_at": (results or stamp) if race.is_finished else None,
            }
        )
        for entrant in race.entrants:
            if (entrant.race_date, entrant.meet, entrant.race_no) != (
                race.race_date,
                race.meet,
                race.race_no,
            ):
                raise ValueError(
                    f"gate {entrant.gate_no} of race {entrant.race_date}/{entrant.meet}/"
                    f"R{entrant.race_no} is listed under R{race.race_no}: use group_races()"
                )
            card_rows.append(_card_row(entrant))
            if race.is_finished:
                result_rows.append(_result_row(entrant))
    with write_session(engine) as session:
        for table in (EntrantResultRow, EntrantRow, RaceRow):
            session.execute(delete(table).where(*day_filter(table, race_date, meet, race_numbers)))
        for table, rows in ((RaceRow, race_rows), (EntrantRow, card_rows)):
            if rows:
                session.execute(insert(table), rows)
        if result_rows:
            session.execute(insert(EntrantResultRow), result_rows)


def newest_finished_race_day(engine: Engine) -> str | None:
    """The latest race date (YYYYMMDD) with a finished race in the store, None when none."""
    query = select(func.max(RaceRow.race_date)).where(RaceRow.is_finished.is_(True))
    with read_session(engine) as session:
        return session.execute(query).scalar_one_or_none()


def load_collected_race_day(engine: Engine, race_date: str, meet: int) -> list[Race]:
    """The stored races of a day with their entrants, sorted by race and gate."""
    with read_session(engine) as session:
        day = read_race_day_rows(session, race_date, meet)
    by_race = day.cards_by_race()
    return [
        Race(
            race_date=race.race_date,
            meet=race.meet,
            race_no=race.race_no,
            entrants=[
                _entrant(race, card, day.results.get((card.race_no, card.gate_no)))
                for card in by_race.get(race.race_no, [])
            ],
            **{name: getattr(race, name) for name in RACE_FIELDS},
        )
        for race in day.races
    ]


def _race_row(race: Race, collected_at: datetime) -> dict[str, Any]:
    return {
        "race_date": race.race_date,
        "meet": race.meet,
        "race_no": race.race_no,
        "is_finished": race.is_finished,
        "collected_at": collected_at,
        **{name: getattr(race, name) for name in RACE_FIELDS},
    }


def _card_row(entrant: RaceEntrant) -> dict[str, Any]:
    return {
        "race_date": entrant.race_date,
        "meet": entrant.meet,
        "race_no": entrant.race_no,
        "pre_race": entrant.pre_race_view(),
        **{name: getattr(entrant, name) for name in CARD_COLUMNS},
    }


def _result_row(entrant: RaceEntrant) -> dict[str, Any]:
    return {
        "race_date": entrant.race_date,
        "meet": entrant.meet,
        "race_no": entrant.race_no,
        "gate_no": entrant.gate_no,
        "post_race": entrant.post_race_view(),
        **{name: getattr(entrant, name) for name in RESULT_COLUMNS},
    }


def _entrant(race: RaceRow, card: EntrantRow, result: EntrantResultRow | None) -> RaceEntrant:
    outcome: dict[str, Any] = {}
    raw = dict(card.pre_race)
    if result is not None:
        outcome = {name: getattr(result, name) for name in RESULT_COLUMNS}
        raw.update(result.post_race)
    return RaceEntrant(
        race_date=card.race_date,
        meet=card.meet,
        race_no=card.race_no,
        raw=raw,
        **{name: getattr(card, name) for name in CARD_COLUMNS},
        **{name: getattr(race, name) for name in RACE_FIELDS},
        **outcome,
    )
