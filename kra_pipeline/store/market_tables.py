"""The market-by-month tables: pool grids (API28_1/29_1/30_1, or the per-day route), pool sales
(API179_1) and the test records KRA left among its grids. Registered with `tables.Base`, so the
migrations and the schema check see them like every other table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kra_pipeline.store.tables import RACE_DATE, RACE_KEY, Base


class PoolGridCellRow(Base):
    """One combination of one pool of one race with its price, as the month grid gave it.

    `api` is the source (API28_1/29_1/30_1, or API160_1/API301 when the key may not use the
    month route); legs as in `pool_combinations` (0 when unused, unordered pools sorted);
    `raw` is the item exactly as KRA sent it."""

    __tablename__ = "pool_grid_cells"
    __table_args__ = (UniqueConstraint(*RACE_KEY, "pool", "leg1", "leg2", "leg3"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    pool: Mapped[str] = mapped_column(String(3))
    leg1: Mapped[int]
    leg2: Mapped[int]
    leg3: Mapped[int]
    odds: Mapped[float]
    is_capped: Mapped[bool]
    api: Mapped[str] = mapped_column(String(16))
    raw: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]


class PoolSalesRow(Base):
    """One pool of one race (API179_1): turnover in won, and what it paid.

    `paid_text` is KRA's text as written ("⑪③⑥-1077.1"); `winners` the same parsed, a list of
    {"legs": [gates], "dividend": multiple of the stake}; `raw` the item whole."""

    __tablename__ = "pool_sales"
    __table_args__ = (UniqueConstraint(*RACE_KEY, "pool"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    pool: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_text: Mapped[str | None]
    winners: Mapped[list[Any]]
    raw: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]


class MarketTestRecordRow(Base):
    """A day of grids KRA never raced (no sales, no entry sheet, no results): kept with the
    reason, never deleted, and left out of the dataset."""

    __tablename__ = "market_test_records"
    __table_args__ = (UniqueConstraint("race_date", "meet"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    races: Mapped[int]
    cells: Mapped[int]
    reason: Mapped[str]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
