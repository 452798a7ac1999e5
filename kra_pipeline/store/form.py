"""Point-in-time form in the store: the history it is computed from, and the `entrant_form` rows.

The history is every entrant (scratched ones too) with its race's distance and whether it has
finished, and its finishing position from `entrant_results`: the columns
`kra_pipeline.form.compute` reads, in one query rather than one per entrant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, Select, and_, delete, insert, select

from kra_pipeline.form.compute import HISTORY_COLUMNS, OUTPUT_COLUMNS, compute_form
from kra_pipeline.store.db import write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import EntrantResultRow, EntrantRow, RaceRow, entrant_form

HISTORY_CHUNK_ROWS = 100_000


def history_query(
    date_to: str,
    *,
    before: bool = False,
    meets: Iterable[int] | None = None,
    stored_by: datetime | None = None,
) -> Select[tuple[object, ...]]:
    """Entrants up to `date_to` (strictly before it with `before`), all meets unless given;
    with `stored_by`, only the starts whose results the store held before that moment."""
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
    if stored_by is not None:
        query = query.where(r.results_at.is_not(None), r.results_at < stored_by)
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


def point_in_time_form(
    engine: Engine, targets: pd.DataFrame, stored_by: datetime | None = None
) -> pd.DataFrame:
    """The form of `targets` (rows with HISTORY_COLUMNS: a collected race day, a range of
    them, or an entry sheet not in the store) from every stored start strictly before each
    target's race date. The one path: the `entrant_form` asset, the analysts' frames and
    exports, and the prediction cards all call it, so they cannot disagree.

    The history is read up to the last target date; `compute_form` itself never lets a row of
    the target's own day or later in, so days collected later cannot change earlier form.
    `stored_by` (a serving card's snapshot time) further keeps only the results the store held
    before it: a card seen at 18:00 knows nothing of that evening's races collected at 21:30.
    """
    if targets.empty:
        return compute_form(pd.DataFrame(columns=list(HISTORY_COLUMNS)), targets)
    last = str(targets["race_date"].max())
    history = read_history(engine, history_query(last, stored_by=stored_by))
    return compute_form(history, targets)


def race_day_entrants(engine: Engine, race_date: str, meet: int) -> pd.DataFrame:
    """The collected entrants of one race day, in the shape `point_in_time_form` takes."""
    check_race_day(race_date, meet)
    query = history_query(race_date, meets=[meet]).where(EntrantRow.race_date == race_date)
    return read_history(engine, query)


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
