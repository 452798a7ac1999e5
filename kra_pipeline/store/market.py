"""Tote pool combinations of a race day: replaced per (day, source API) in one transaction,
and read back joined with the stored results to name each pool's winning combinations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, tuple_

from kra_pipeline.kra.market.pools import PoolCombination, winning_legs
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import EntrantResultRow, PoolCombinationRow


def replace_pool_combinations(
    engine: Engine,
    race_date: str,
    meet: int,
    api: str,
    combinations: Sequence[PoolCombination],
    fetched_at: datetime | None = None,
) -> None:
    """Replace the day's combinations from `api`; rows of another day are refused."""
    check_race_day(race_date, meet)
    stamp = fetched_at or datetime.now(UTC)
    rows = []
    for c in combinations:
        if (c.race_date, c.meet) != (race_date, meet):
            raise ValueError(
                f"combination of {c.race_date}/{c.meet} handed in for {race_date}/{meet}: "
                "pass one race day at a time"
            )
        legs = _stored_legs(c.legs)
        rows.append(
            {
                "race_date": race_date,
                "meet": meet,
                "race_no": c.race_no,
                "api": api,
                "pool": c.pool,
                "leg1": legs[0],
                "leg2": legs[1],
                "leg3": legs[2],
                "odds": c.odds,
                "is_capped": c.is_capped,
                "fetched_at": stamp,
            }
        )
    with write_session(engine) as session:
        session.execute(
            delete(PoolCombinationRow).where(
                *day_filter(PoolCombinationRow, race_date, meet), PoolCombinationRow.api == api
            )
        )
        if rows:
            session.execute(insert(PoolCombinationRow), rows)


def load_pool_combinations(
    engine: Engine,
    race_date: str,
    meet: int,
    api: str,
    pools: Iterable[str] | None = None,
) -> list[PoolCombination]:
    """The stored combinations of a day from one source API (of some pools), by race, pool
    and legs."""
    check_race_day(race_date, meet)
    table = PoolCombinationRow
    query = select(table).where(*day_filter(table, race_date, meet), table.api == api)
    if pools is not None:
        query = query.where(table.pool.in_(sorted(pools)))
    with read_session(engine) as session:
        rows = session.scalars(
            query.order_by(table.race_no, table.pool, table.leg1, table.leg2, table.leg3)
        ).all()
    return [
        PoolCombination(
            race_date=row.race_date,
            meet=row.meet,
            race_no=row.race_no,
            pool=row.pool,
            legs=tuple(leg for leg in (row.leg1, row.leg2, row.leg3) if leg),
            odds=row.odds,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class WinningCombination:
    """A combination the stored finishing order pays, with its stored price (None if absent)."""

    race_no: int
    pool: str
    legs: tuple[int, ...]
    odds: float | None


def finishing_orders(engine: Engine, race_date: str, meet: int) -> dict[int, list[int]]:
    """Gates in finishing order per finished race, from the stored results."""
    check_race_day(race_date, meet)
    table = EntrantResultRow
    with read_session(engine) as session:
        rows = session.execute(
            select(table.race_no, table.gate_no)
            .where(*day_filter(table, race_date, meet), table.finish_position.is_not(None))
            .order_by(table.race_no, table.finish_position)
        ).all()
    orders: dict[int, list[int]] = {}
    for race_no, gate_no in rows:
        orders.setdefault(race_no, []).append(gate_no)
    return orders


def winning_combinations(
    engine: Engine, race_date: str, meet: int, api: str
) -> list[WinningCombination]:
    """Every pool's paying combinations of the day's finished races, priced from `api`.

    Reads only the rows of the paying combinations (a day's grid holds thousands)."""
    check_race_day(race_date, meet)
    orders = finishing_orders(engine, race_date, meet)
    table = PoolCombinationRow
    of_day = (*day_filter(table, race_date, meet), table.api == api)
    with read_session(engine) as session:
        pools = sorted(session.scalars(select(table.pool).distinct().where(*of_day)))
        paying = [
            (race_no, pool, legs)
            for race_no, order in sorted(orders.items())
            for pool in pools
            for legs in winning_legs(pool, order)
        ]
        wanted = [(race_no, pool, *_stored_legs(legs)) for race_no, pool, legs in paying]
        columns = (table.race_no, table.pool, table.leg1, table.leg2, table.leg3)
        rows = (
            session.execute(
                select(*columns, table.odds).where(*of_day, tuple_(*columns).in_(wanted))
            ).all()
            if wanted
            else []
        )
    prices = {
        (race_no, pool, tuple(leg for leg in (leg1, leg2, leg3) if leg)): odds
        for race_no, pool, leg1, leg2, leg3, odds in rows
    }
    return [
        WinningCombination(race_no, pool, legs, prices.get((race_no, pool, legs)))
        for race_no, pool, legs in paying
    ]


def _stored_legs(legs: Sequence[int]) -> tuple[int, int, int]:
    """Legs as the table holds them: three columns, 0 where a pool has fewer legs."""
    first, second, third = (*legs, 0, 0)[:3]
    return first, second, third
