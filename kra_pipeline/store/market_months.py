"""The market of a meet's month: grid cells and pool sales replaced per (meet, month, pools) in
one transaction, read back typed; test records kept apart (added or refreshed, never deleted)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from kra_pipeline.kra.market.pool_integrity import TestRecord
from kra_pipeline.kra.market.pool_sales import Dividend, PoolSales
from kra_pipeline.kra.market.pools import CAPPED_ODDS, GridRow, PoolCombination
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.market_tables import MarketTestRecordRow, PoolGridCellRow, PoolSalesRow
from kra_pipeline.store.race_months import check_month

INSERT_CHUNK = 20_000  # rows per INSERT: a Seoul month of trifecta cells is over 100,000


def month_dates(month: str) -> tuple[str, str]:
    """First and last date (YYYYMMDD) of a YYYYMM month."""
    last = calendar.monthrange(int(month[:4]), int(month[4:]))[1]
    return f"{month}01", f"{month}{last:02d}"


def _in_month(table: Any, meet: int, month: str) -> tuple[Any, ...]:
    first, last = month_dates(month)
    return (table.meet == meet, table.race_date >= first, table.race_date <= last)


def _stray(rows: Iterable[Any], meet: int, month: str) -> None:
    for row in rows:
        if row.meet != meet or not row.race_date.startswith(month):
            raise ValueError(
                f"a row of {row.race_date}/{row.meet} handed in for meet {meet} in {month}: "
                "pass one meet-month at a time"
            )


def _legs(legs: Sequence[int]) -> tuple[int, int, int]:
    first, second, third = (*legs, 0, 0)[:3]
    return first, second, third


def replace_grid_month(
    engine: Engine,
    meet: int,
    month: str,
    pools: Iterable[str],
    rows: Sequence[PoolCombination],
    api: str,
    fetched_at: datetime | None = None,
) -> int:
    """Replace the month's cells of `pools` by `rows` (from `api`, or the source each GridRow's
    raw names); returns the rows written."""
    check_month(month, meet)
    _stray(rows, meet, month)
    stamp = fetched_at or datetime.now(UTC)
    values = [
        {
            "race_date": row.race_date,
            "meet": meet,
            "race_no": row.race_no,
            "pool": row.pool,
            **dict(zip(("leg1", "leg2", "leg3"), _legs(row.legs), strict=True)),
            "odds": row.odds,
            "is_capped": row.odds >= CAPPED_ODDS,
            "api": api,
            "raw": row.raw if isinstance(row, GridRow) else {},
            "fetched_at": stamp,
        }
        for row in rows
    ]
    table = PoolGridCellRow
    with write_session(engine) as session:
        session.execute(
            delete(table).where(*_in_month(table, meet, month), table.pool.in_(list(pools)))
        )
        for start in range(0, len(values), INSERT_CHUNK):
            session.execute(insert(table), values[start : start + INSERT_CHUNK])
    return len(values)


def load_grid_month(
    engine: Engine, meet: int, month: str, pools: Iterable[str] | None = None
) -> list[GridRow]:
    """The stored cells of a meet-month (of some pools), with their raw items."""
    check_month(month, meet)
    table = PoolGridCellRow
    query = select(
        table.race_date,
        table.race_no,
        table.pool,
        table.leg1,
        table.leg2,
        table.leg3,
        table.odds,
        table.raw,
    ).where(*_in_month(table, meet, month))
    if pools is not None:
        query = query.where(table.pool.in_(list(pools)))
    with read_session(engine) as session:
        rows = session.execute(query.order_by(table.race_date, table.race_no, table.pool)).all()
    return [
        GridRow(day, meet, race_no, pool, tuple(g for g in (a, b, c) if g), odds, raw)
        for day, race_no, pool, a, b, c, odds, raw in rows
    ]


def grid_sources(engine: Engine, meet: int, month: str) -> dict[str, int]:
    """Cells per source API in a meet-month: which route its grids came by."""
    table = PoolGridCellRow
    with read_session(engine) as session:
        rows = session.execute(
            select(table.api, func.count())
            .where(*_in_month(table, meet, month))
            .group_by(table.api)
        ).all()
    return {api: count for api, count in rows}


def replace_sales_month(
    engine: Engine,
    meet: int,
    month: str,
    rows: Sequence[PoolSales],
    fetched_at: datetime | None = None,
) -> int:
    """Replace the month's pool sales; returns the rows written."""
    check_month(month, meet)
    _stray(rows, meet, month)
    stamp = fetched_at or datetime.now(UTC)
    values = [
        {
            "race_date": row.race_date,
            "meet": meet,
            "race_no": row.race_no,
            "pool": row.pool,
            "amount": row.amount,
            "paid_text": None if row.raw.get("odds") is None else str(row.raw["odds"]),
            "winners": [{"legs": list(w.legs), "dividend": w.dividend} for w in row.winners],
            "raw": row.raw,
            "fetched_at": stamp,
        }
        for row in rows
    ]
    with write_session(engine) as session:
        session.execute(delete(PoolSalesRow).where(*_in_month(PoolSalesRow, meet, month)))
        if values:
            session.execute(insert(PoolSalesRow), values)
    return len(values)


def load_sales_month(engine: Engine, meet: int, month: str) -> list[PoolSales]:
    """The stored pool sales of a meet-month, typed as API179_1's parser gives them."""
    check_month(month, meet)
    table = PoolSalesRow
    with read_session(engine) as session:
        rows = session.scalars(
            select(table)
            .where(*_in_month(table, meet, month))
            .order_by(table.race_date, table.race_no, table.pool)
        ).all()
    return [
        PoolSales(
            row.race_date,
            row.meet,
            row.race_no,
            row.pool,
            row.amount,
            tuple(Dividend(tuple(w["legs"]), float(w["dividend"])) for w in row.winners),
            row.raw,
        )
        for row in rows
    ]


def save_test_records(engine: Engine, records: Iterable[TestRecord]) -> int:
    """Add test records, or refresh one already kept; none is ever deleted."""
    now = datetime.now(UTC)
    saved = 0
    table = MarketTestRecordRow
    with write_session(engine) as session:
        for record in records:
            row = session.scalars(
                select(table).where(table.race_date == record.race_date, table.meet == record.meet)
            ).one_or_none()
            if row is None:
                row = table(
                    race_date=record.race_date, meet=record.meet, first_seen_at=now, races=0
                )
                session.add(row)
            row.races, row.cells, row.reason = record.races, record.cells, record.reason
            row.last_seen_at = now
            saved += 1
    return saved


def load_test_records(engine: Engine) -> list[TestRecord]:
    """Every test record kept, by date and meet."""
    table = MarketTestRecordRow
    with read_session(engine) as session:
        rows = session.scalars(select(table).order_by(table.race_date, table.meet)).all()
    return [TestRecord(r.race_date, r.meet, r.races, r.cells, r.reason) for r in rows]
