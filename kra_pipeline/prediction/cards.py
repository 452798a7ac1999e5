"""The cards a prediction is made from, as the store first saw them (`contract.CardKind`).

- `sheet`: the entry sheet (API26_2) as first seen before the day, with the API9_1 scratches
  known by then merged; no body weights (KRA weighs the horses on the day).
- `morning`: the race day's collected card (body weights, scratches, jockey changes) as first
  stored, before the off: its pre-race fields only, no odds and no results.
- `final`: the collected card as it stands, with results: what analysis and training read.

Every card has a snapshot time, `card.attrs[CARD_AT]`: when the store first held it. Its form
comes from the results the store held before that moment (and, as always, strictly before the
race date), so results collected later cannot change a prediction made from it. All three
carry the typed columns of `dataset.entrants(form=True)`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from kra_pipeline.contract import CARD_KINDS, CardKind
from kra_pipeline.dataset import entrants
from kra_pipeline.dataset.frames import typed
from kra_pipeline.dataset.schema import RESULT, entrant_columns
from kra_pipeline.form.compute import ENTRANT_KEY, HISTORY_COLUMNS
from kra_pipeline.store.db import read_session
from kra_pipeline.store.form import point_in_time_form
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import RaceRow, ScratchRow
from kra_pipeline.store.upcoming import load_first_seen

# The frame attribute holding the card's kind and its snapshot time (aware UTC, None if empty).
CARD = "card"
CARD_AT = "card_at"
COLUMNS = entrant_columns(results=True, enrichment=False, form=True)
# Never on a pre-race card: the result, and the market (odds are not features, and final odds
# are known only at the off).
_POST_RACE = (*(name for name, *_ in RESULT), "win_odds", "place_odds")
# Entry-sheet fields kept in `raw` that the card frame carries under its own names.
_RAW_FIELDS = {"age": "age", "sex": "sex", "rcName": "race_name", "rank": "race_class"}


class UnknownCard(ValueError):
    """A card kind that is not one of `contract.CARD_KINDS`."""


def default_card(race_date: str, today: str) -> str:
    """The card a day is served from unless one is asked for: the entry sheet for a day ahead,
    the morning card from the race day on (`today` in Seoul, YYYYMMDD)."""
    return CardKind.SHEET.value if race_date > today else CardKind.MORNING.value


def serving_card(
    engine: Engine,
    race_date: str,
    meet: int,
    kind: str,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """The day's `kind` card as the store knew it at `as_of` (default: now), entrants with
    point-in-time form; empty (with the columns) when the store had no such card then."""
    check_race_day(race_date, meet)
    if kind not in CARD_KINDS:
        raise UnknownCard(f"card kind must be one of {', '.join(CARD_KINDS)}; got {kind!r}")
    as_of = as_of or datetime.now(UTC)
    if as_of.tzinfo is None:
        raise ValueError(f"as_of must be time-zone aware (UTC), got {as_of!r}")
    if kind == CardKind.SHEET:
        card, at = _sheet(engine, race_date, meet, as_of)
    elif kind == CardKind.MORNING:
        card, at = _morning(engine, race_date, meet, as_of)
    else:
        card = entrants(race_date, race_date, [meet], results=True, form=True, engine=engine)
        at = _collected_at(engine, race_date, meet, func.max(RaceRow.collected_at))
    if card.empty:
        at = None
    card = typed(card, COLUMNS) if len(card) else _empty()
    card.attrs.update({CARD: kind, CARD_AT: at})
    return card


def _empty() -> pd.DataFrame:
    return typed(pd.DataFrame(columns=[name for name, *_ in COLUMNS]), COLUMNS)


def _sheet(
    engine: Engine, race_date: str, meet: int, as_of: datetime
) -> tuple[pd.DataFrame, datetime | None]:
    rows = [
        row
        for row in load_first_seen(engine, race_date, meet)
        if datetime.fromisoformat(row["first_seen_at"]) <= as_of
    ]
    if not rows:
        return _empty(), None
    scratched = _scratches(engine, race_date, meet, as_of)
    card = pd.DataFrame(
        [
            {
                **{name: row.get(name) for name in HISTORY_COLUMNS},
                "race_date": race_date,
                "meet": meet,
                "is_scratched": (row["race_no"], row["gate_no"]) in scratched,
                "scratch_reason": scratched.get((row["race_no"], row["gate_no"]), (None,))[0],
                "is_finished": False,
                "horse_name": row["horse_name"],
                "jockey_name": row["jockey_name"],
                "trainer_name": row["trainer_name"],
                "start_time": row["post_time"],
                **{ours: row["raw"].get(theirs) for theirs, ours in _RAW_FIELDS.items()},
            }
            for row in rows
        ]
    )
    seen = [datetime.fromisoformat(row["first_seen_at"]) for row in rows]
    at = max([*seen, *(first for _, first in scratched.values())])
    return _with_form(engine, card, at), at


def _scratches(
    engine: Engine, race_date: str, meet: int, as_of: datetime
) -> dict[tuple[int, int], tuple[str | None, datetime]]:
    """(race, gate) -> (reason, first seen) of the API9_1 scratches known by `as_of`."""
    query = select(ScratchRow).where(
        *day_filter(ScratchRow, race_date, meet),
        ScratchRow.first_seen_at.is_not(None),
        ScratchRow.first_seen_at <= as_of,
    )
    with read_session(engine) as session:
        return {
            (row.race_no, row.gate_no): (row.reason, row.first_seen_at)
            for row in session.scalars(query)
        }


def _morning(
    engine: Engine, race_date: str, meet: int, as_of: datetime
) -> tuple[pd.DataFrame, datetime | None]:
    at = _collected_at(engine, race_date, meet, func.min(RaceRow.first_collected_at))
    if at is None or at > as_of:
        return _empty(), None
    card = entrants(race_date, race_date, [meet], results=True, form=False, engine=engine)
    card = card.astype(object).assign(is_finished=False, **dict.fromkeys(_POST_RACE))
    card["race_date"] = race_date
    card["meet"] = meet
    return _with_form(engine, card, at), at


def _with_form(engine: Engine, card: pd.DataFrame, at: datetime) -> pd.DataFrame:
    """The card with its form from the results stored before `at`, and every column."""
    for name in HISTORY_COLUMNS:
        if name not in card:
            card[name] = None
    form = point_in_time_form(engine, card[list(HISTORY_COLUMNS)], stored_by=at)
    card = card.drop(columns=[n for n in form.columns if n in card and n not in ENTRANT_KEY])
    card = card.merge(form.astype({"race_date": object}), on=list(ENTRANT_KEY), how="left")
    for name, *_ in COLUMNS:
        if name not in card:
            card[name] = None
    return card


def _collected_at(engine: Engine, race_date: str, meet: int, moment: object) -> datetime | None:
    with read_session(engine) as session:
        value = session.scalar(select(moment).where(*day_filter(RaceRow, race_date, meet)))
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
