"""Read-only views of a race day for the REST status, `GET /api/v2/races` and `kra diagnose`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from kra_pipeline.contract import (
    MEET_CODES,
)
from kra_pipeline.kra.market.pools import CAPPED_ODDS, DIVIDENDS_API
from kra_pipeline.races.fields import split_track
from kra_pipeline.races.models import DETAIL_KINDS, RACE_FIELDS, RATE_FIELDS
from kra_pipeline.store.day_rows import read_race_day_rows
from kra_pipeline.store.db import read_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.market import winning_combinations
from kra_pipeline.store.tables import (
    CARD_COLUMNS,
    RESULT_COLUMNS,
    EnrichedEntrantRow,
    RaceRow,
    ScratchRow,
)
from kra_pipeline.store.track import load_track_reports

_ENRICHMENT_COLUMNS = (
    *(f"{kind}_{name}" for kind in DETAIL_KINDS for name in RATE_FIELDS),
    "horse_rating",
    "missing_details",
)


def list_races(engine: Engine, race_date: str, meet: int) -> list[dict[str, Any]]:
    """JSON-ready races of a day: card per entrant, `result` once finished, `enrichment` if any,
    the scratch reason KRA gave, the track parsed from its text, API189_1's track and weather
    report, and the paying dividends.

    `result`, `enrichment`, `dividends` and `track_report` are None when absent, so clients can
    tell "not yet" from zero.
    """
    with read_session(engine) as session:
        day = read_race_day_rows(session, race_date, meet)
        enriched = _by_gate(
            session.scalars(
                select(EnrichedEntrantRow).where(*day_filter(EnrichedEntrantRow, race_date, meet))
            )
        )
        reasons = {
            (row.race_no, row.gate_no): row.reason
            for row in session.scalars(
                select(ScratchRow).where(*day_filter(ScratchRow, race_date, meet))
            )
        }
    dividends = _dividends(engine, race_date, meet)
    track_reports = load_track_reports(engine, race_date, meet)
    entrants: dict[int, list[dict[str, Any]]] = {}
    for card in day.cards:
        gate = (card.race_no, card.gate_no)
        result = day.results.get(gate)
        enrichment = enriched.get(gate)
        entrants.setdefault(card.race_no, []).append(
            {
                **{name: getattr(card, name) for name in CARD_COLUMNS},
                "scratch_reason": reasons.get(gate),
                "result": _pick(result, RESULT_COLUMNS),
                "enrichment": _pick(enrichment, _ENRICHMENT_COLUMNS),
            }
        )
    races = []
    for race in day.races:
        condition, moisture = split_track(race.track)
        races.append(
            {
                "race_date": race.race_date,
                "meet": race.meet,
                "race_no": race.race_no,
                **{name: getattr(race, name) for name in RACE_FIELDS},
                "track_condition": condition,
                "track_moisture": moisture,
                "is_finished": race.is_finished,
                "collected_at": race.collected_at.isoformat(),
                "dividends": dividends.get(race.race_no),
                "track_report": track_reports.get(race.race_no),
                "entrants": entrants.get(race.race_no, []),
            }
        )
    return races


def _dividends(engine: Engine, race_date: str, meet: int) -> dict[int, list[dict[str, Any]]]:
    """Per finished race, what each pool paid on the stored finishing order (API301's price;
    None where KRA listed none, `is_capped` for its 9999.9 "no usable price")."""
    paid: dict[int, list[dict[str, Any]]] = {}
    for won in winning_combinations(engine, race_date, meet, DIVIDENDS_API):
        paid.setdefault(won.race_no, []).append(
            {
                "pool": won.pool,
                "legs": list(won.legs),
                "odds": won.odds,
                "is_capped": won.odds is not None and won.odds >= CAPPED_ODDS,
            }
        )
    return paid


def race_page(
    engine: Engine,
    date_from: str,
    date_to: str,
    meets: list[int] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Races from `date_from` to `date_to` (both included) in (date, meet, race) order: the
    page `offset` to `offset + limit`, and how many races the range holds."""
    chosen = sorted(set(meets or MEET_CODES))
    for meet in chosen:
        check_race_day(date_from, meet)
    check_race_day(date_to, chosen[0])
    where = (
        RaceRow.race_date >= date_from,
        RaceRow.race_date <= date_to,
        RaceRow.meet.in_(chosen),
    )
    with read_session(engine) as session:
        total = session.scalar(select(func.count()).select_from(RaceRow).where(*where)) or 0
        keys = session.execute(
            select(RaceRow.race_date, RaceRow.meet, RaceRow.race_no)
            .where(*where)
            .order_by(RaceRow.race_date, RaceRow.meet, RaceRow.race_no)
            .limit(limit)
            .offset(offset)
        ).all()
    wanted: dict[tuple[str, int], set[int]] = {}
    for race_date, meet, race_no in keys:
        wanted.setdefault((race_date, meet), set()).add(race_no)
    page = [
        race
        for (race_date, meet), numbers in wanted.items()
        for race in list_races(engine, race_date, meet)
        if race["race_no"] in numbers
    ]
    return page, total


def _by_gate(rows: Any) -> dict[tuple[int, int], Any]:
    return {(row.race_no, row.gate_no): row for row in rows}


def _pick(row: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    return None if row is None else {name: getattr(row, name) for name in names}
