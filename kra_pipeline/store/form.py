"""Point-in-time form in the store: the history it is computed from, and the `entrant_form` rows.

The history is every entrant (scratched ones too) with its race's distance and whether it has
finished, and its finishing position from `entrant_results`: the columns
`kra_pipeline.features.form` reads, in one query rather than one per entrant.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, Select, and_, delete, insert, select

from kra_pipeline.features.form import HISTORY_COLUMNS, OUTPUT_COLUMNS, typed_form
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import EntrantResultRow, EntrantRow, RaceRow, entrant_form

HISTORY_CHUNK_ROWS = 100_000


def history_query(
    date_to: str, *, before: bool = False, meets: Iterable[int] | None = None
) -> Select[tuple[object, ...]]:
    """Entrants up to `date_to` (strictly before it with `before`), all meets unless given."""
    e, r, res = EntrantRow, RaceRow, EntrantResultRow
    columns = {
        "race_date": e.race_date,
        "meet": e.meet,
        "race_no": e.race_no,
        "gate_no": e.gate_no,
        "horse_no": e.horse_no,
        "jockey_no": e.jockey_no,
        "trainer_no": e.trainer_no,
        "is_scratched": e.is_scratched,
        "carried_weight": e.carried_weight,
        "body_weight": e.body_weight,
        "rating": e.rating,
        "distance": r.distance,
        "is_finished": r.is_finished,
        "finish_position": res.finish_position,
    }
    assert tuple(columns) == HISTORY_COLUMNS
    query = (
        select(*(column.label(name) for name, column in columns.items()))
        .join(r, and_(r.race_date == e.race_date, r.meet == e.meet, r.race_no == e.race_no))
        .outerjoin(
            res,
            and_(
                res.race_date == e.race_date,
                res.meet == e.meet,
                res.race_no == e.race_no,
                res.gate_no == e.gate_no,
            ),
        )
        .where(e.race_date < date_to if before else e.race_date <= date_to)
        .order_by(e.race_date, e.meet, e.race_no, e.gate_no)
    )
    if meets is not None:
        query = query.where(e.meet.in_(sorted(meets)))
    return query


def read_history(engine: Engine, query: Select[tuple[object, ...]]) -> pd.DataFrame:
    """The rows of a `history_query`, read in chunks (empty frame with the columns if none)."""
    with engine.connect() as connection:
        chunks = list(
            pd.read_sql(query, connection, chunksize=HISTORY_CHUNK_ROWS, coerce_float=False)
        )
    if not chunks:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    return pd.concat(chunks, ignore_index=True)


def history_for_day(engine: Engine, race_date: str, meet: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every entrant before `race_date`, the entrants of the race day): all a day's form needs.

    Nothing on or after the race date enters the first frame, so days collected later cannot
    change the form of this one.
    """
    check_race_day(race_date, meet)
    history = read_history(engine, history_query(race_date, before=True))
    day = history_query(race_date, meets=[meet]).where(EntrantRow.race_date == race_date)
    return history, read_history(engine, day)


def replace_entrant_form(engine: Engine, race_date: str, meet: int, form: pd.DataFrame) -> None:
    """Replace the stored form of a race day with `form` (rows of that day only)."""
    check_race_day(race_date, meet)
    stray = form[(form["race_date"] != race_date) | (form["meet"] != meet)]
    if not stray.empty:
        raise ValueError(
            f"{len(stray)} form rows are not of race day {race_date}/{meet}: pass one day at a time"
        )
    rows = [
        {name: (None if pd.isna(value) else value) for name, value in row.items()}
        for row in form[list(OUTPUT_COLUMNS)].astype(object).to_dict("records")
    ]
    with write_session(engine) as session:
        session.execute(delete(entrant_form).where(*day_filter(entrant_form.c, race_date, meet)))
        if rows:
            session.execute(insert(entrant_form), rows)


def load_entrant_form(engine: Engine, race_date: str, meet: int) -> pd.DataFrame:
    """The stored form of a race day, by race and gate, typed like `compute_form`'s output."""
    check_race_day(race_date, meet)
    query = (
        select(*(entrant_form.c[name] for name in OUTPUT_COLUMNS))
        .where(*day_filter(entrant_form.c, race_date, meet))
        .order_by(entrant_form.c.race_no, entrant_form.c.gate_no)
    )
    with read_session(engine) as session:
        rows = session.execute(query).mappings().all()
    return typed_form(pd.DataFrame([dict(r) for r in rows], columns=list(OUTPUT_COLUMNS)))
