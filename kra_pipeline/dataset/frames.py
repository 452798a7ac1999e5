"""Typed pandas frames of the race store, read a calendar year at a time.

Works the same on SQLite and PostgreSQL (plain SQLAlchemy selects). Form is computed from the
store at read time with the same function as the `entrant_form` asset, so it is point in time
whether or not that asset was materialized.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd
from sqlalchemy import Engine, and_, select

from kra_pipeline.contract import (
    MEET_CODES,
    RACE_DATE_RE,
)
from kra_pipeline.dataset.market import with_market, without_test_records
from kra_pipeline.dataset.schema import (
    CARD,
    ENRICHMENT,
    KEY,
    RACE,
    RACE_COLUMNS,
    RESULT,
    SCRATCH,
    Column,
    entrant_columns,
)
from kra_pipeline.form.compute import ENTRANT_KEY, FORM_COLUMNS
from kra_pipeline.races.fields import split_track
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.form import history_query, point_in_time_form, read_history
from kra_pipeline.store.tables import (
    EnrichedEntrantRow,
    EntrantResultRow,
    EntrantRow,
    RaceRow,
    ScratchRow,
)

CHUNK_ROWS = 50_000


def races(
    date_from: str,
    date_to: str,
    meets: Iterable[int] | None = None,
    *,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """One row per stored race from `date_from` to `date_to` (YYYYMMDD, both included), with
    each pool's turnover and winning dividends once its month's sales are stored; days of
    KRA's test records are left out."""
    engine = engine or get_engine()
    r = RaceRow
    names = [name for name, *_ in (*KEY, *RACE)]
    query = (
        select(*(getattr(r, name) for name in names))
        .where(*_range(r, date_from, date_to, meets))
        .order_by(r.race_date, r.meet, r.race_no)
    )
    frame = without_test_records(_read(engine, query, names), engine)
    frame = with_market(frame, engine, date_from, date_to, meets)
    return typed(_with_parsed_track(frame), RACE_COLUMNS)


def entrants(
    date_from: str,
    date_to: str,
    meets: Iterable[int] | None = None,
    *,
    results: bool = True,
    enrichment: bool = False,
    form: bool = False,
    market: bool = False,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """One row per entrant (scratched included) with its race, and optionally its result, the
    registry snapshots (`enrichment`), point-in-time form and its race's pool turnover and
    dividends (`market`); see `dataset.schema`."""
    frames = list(
        iter_entrants(
            date_from,
            date_to,
            meets,
            results=results,
            enrichment=enrichment,
            form=form,
            market=market,
            engine=engine,
        )
    )
    columns = entrant_columns(results, enrichment, form, market)
    if not frames:
        return typed(pd.DataFrame(columns=[name for name, *_ in columns]), columns)
    return pd.concat(frames, ignore_index=True)


def iter_entrants(
    date_from: str,
    date_to: str,
    meets: Iterable[int] | None = None,
    *,
    results: bool = True,
    enrichment: bool = False,
    form: bool = False,
    market: bool = False,
    engine: Engine | None = None,
) -> Iterator[pd.DataFrame]:
    """`entrants`, one calendar year per frame (years without entrants are skipped); days of
    KRA's test records are left out."""
    _check_dates(date_from, date_to)
    engine = engine or get_engine()
    meets = sorted(meets) if meets is not None else None
    columns = entrant_columns(results, enrichment, form, market)
    computed: pd.DataFrame | None = None
    for start, end in _years(date_from, date_to):
        query, names = _entrant_query(start, end, meets, results, enrichment)
        frame = without_test_records(_read(engine, query, names), engine)
        if frame.empty:
            continue
        if market:
            frame = with_market(frame, engine, start, end, meets)
        frame = _with_parsed_track(frame)
        if form:
            # One pass over the history for the whole range, and none for a range without
            # entrants (an upcoming day, a date without racing).
            if computed is None:
                computed = _form(engine, date_from, date_to, meets)
            frame = frame.merge(computed, on=list(ENTRANT_KEY), how="left", validate="1:1")
        yield typed(frame, columns)


def typed(frame: pd.DataFrame, columns: Iterable[Column]) -> pd.DataFrame:
    """The frame with the documented types: dates as dates, meet categorical, ids strings,
    nullable integers and floats; columns in documented order."""
    out = pd.DataFrame(index=frame.index)
    for name, kind, *_ in columns:
        values = frame[name]
        if kind == "date":
            text = values.astype("string")
            out[name] = pd.to_datetime(text.str.replace("-", "", regex=False), format="%Y%m%d")
            out[name] = out[name].astype("datetime64[ns]")
        elif kind == "category":
            numbers = pd.to_numeric(values.astype("string"))
            out[name] = pd.Categorical(numbers, categories=list(MEET_CODES))
        elif kind == "bool":
            out[name] = values.astype(bool)
        else:
            if kind in ("Int64", "Float64"):
                values = pd.to_numeric(values)
            out[name] = values.astype(kind)
    return out.reset_index(drop=True)


def _entrant_query(
    start: str, end: str, meets: list[int] | None, results: bool, enrichment: bool
) -> tuple[object, list[str]]:
    e, r, res, enr = EntrantRow, RaceRow, EntrantResultRow, EnrichedEntrantRow
    picks = [(e, "race_date"), (e, "meet"), (e, "race_no"), *((r, n) for n, *_ in RACE)]
    picks += [(e, n) for n, *_ in CARD]
    if results:
        picks += [(res, n) for n, *_ in RESULT]
    if enrichment:
        picks += [(enr, n) for n, *_ in ENRICHMENT]
    scratch = ScratchRow
    query = (
        select(
            *(getattr(table, name) for table, name in picks),
            *(scratch.reason.label(name) for name, *_ in SCRATCH),
        )
        .join(r, and_(r.race_date == e.race_date, r.meet == e.meet, r.race_no == e.race_no))
        .outerjoin(scratch, and_(*(getattr(scratch, k) == getattr(e, k) for k in ENTRANT_KEY)))
    )
    for table, wanted in ((res, results), (enr, enrichment)):
        if wanted:
            query = query.outerjoin(
                table, and_(*(getattr(table, k) == getattr(e, k) for k in ENTRANT_KEY))
            )
    query = query.where(*_range(e, start, end, meets)).order_by(
        *(getattr(e, k) for k in ENTRANT_KEY)
    )
    return query, [name for _, name in picks] + [name for name, *_ in SCRATCH]


def _form(engine: Engine, date_from: str, date_to: str, meets: list[int] | None) -> pd.DataFrame:
    """Form of the range's entrants, by the one point-in-time path."""
    query = history_query(date_to, meets=meets).where(EntrantRow.race_date >= date_from)
    form = point_in_time_form(engine, read_history(engine, query))
    return form[[*ENTRANT_KEY, *FORM_COLUMNS]].astype({"race_date": object})


def _with_parsed_track(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with `track` split into condition and moisture (TRACK_PARSED)."""
    parsed = [split_track(text) for text in frame["track"]]
    return frame.assign(
        track_condition=[condition for condition, _ in parsed],
        track_moisture=[moisture for _, moisture in parsed],
    )


def _read(engine: Engine, query: object, names: list[str]) -> pd.DataFrame:
    with engine.connect() as connection:
        chunks = list(pd.read_sql(query, connection, chunksize=CHUNK_ROWS, coerce_float=False))
    if not chunks:
        return pd.DataFrame(columns=names)
    frame = pd.concat(chunks, ignore_index=True)
    frame.columns = names
    return frame


def _range(table: object, date_from: str, date_to: str, meets: Iterable[int] | None) -> list:
    _check_dates(date_from, date_to)
    clauses = [table.race_date >= date_from, table.race_date <= date_to]
    if meets is not None:
        clauses.append(table.meet.in_(sorted(meets)))
    return clauses


def _check_dates(date_from: str, date_to: str) -> None:
    for label, value in (("date_from", date_from), ("date_to", date_to)):
        if not isinstance(value, str) or not RACE_DATE_RE.match(value):
            raise ValueError(f"{label} must be YYYYMMDD, e.g. '20250523'; got {value!r}")
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}: swap them")


def _years(date_from: str, date_to: str) -> Iterator[tuple[str, str]]:
    for year in range(int(date_from[:4]), int(date_to[:4]) + 1):
        yield max(date_from, f"{year}0101"), min(date_to, f"{year}1231")
