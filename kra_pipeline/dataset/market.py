"""The market columns of the frames: each pool's turnover and winning dividends per race (from
API179_1's month answers in `pool_sales`), and the race days KRA's test records took, which
never enter a frame."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, select

from kra_pipeline.dataset.schema import MARKET
from kra_pipeline.kra.market.pools import POOL_CODES
from kra_pipeline.store.market_tables import MarketTestRecordRow, PoolSalesRow

RACE_KEY = ["race_date", "meet", "race_no"]


def _paid(winners: list[dict]) -> str | None:
    """'11-3-6:1077.1', or for place '11:2.0 6:2.5 3:3.5': every paid combination."""
    if not winners:
        return None
    return " ".join(
        "-".join(str(gate) for gate in w["legs"]) + f":{float(w['dividend'])}" for w in winners
    )


def market_columns(
    engine: Engine, date_from: str, date_to: str, meets: Iterable[int] | None
) -> pd.DataFrame:
    """One row per race with sales: turnover_*, dividend_* and paid_* of every pool (wide)."""
    table = PoolSalesRow
    query = select(
        table.race_date, table.meet, table.race_no, table.pool, table.amount, table.winners
    ).where(table.race_date >= date_from, table.race_date <= date_to)
    if meets is not None:
        query = query.where(table.meet.in_(sorted(meets)))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    wide: dict[tuple[str, int, int], dict[str, object]] = {}
    for race_date, meet, race_no, pool, amount, winners in rows:
        if pool not in POOL_CODES:
            continue
        out = wide.setdefault((race_date, meet, race_no), {})
        code = pool.lower()
        out[f"turnover_{code}"] = amount
        out[f"dividend_{code}"] = float(winners[0]["dividend"]) if winners else None
        out[f"paid_{code}"] = _paid(winners)
    names = [name for name, *_ in MARKET]
    frame = pd.DataFrame(
        [{**dict(zip(RACE_KEY, key, strict=True)), **values} for key, values in wide.items()],
        columns=[*RACE_KEY, *names],
    )
    return frame.astype({"race_date": object})


def with_market(
    frame: pd.DataFrame,
    engine: Engine,
    date_from: str,
    date_to: str,
    meets: Iterable[int] | None,
) -> pd.DataFrame:
    """The frame (one row per race or per entrant) with its race's market columns."""
    market = market_columns(engine, date_from, date_to, meets)
    keyed = frame.astype({"meet": "int64", "race_no": "int64"})
    return keyed.merge(
        market.astype({"meet": "int64", "race_no": "int64"}), on=RACE_KEY, how="left"
    )


def without_test_records(frame: pd.DataFrame, engine: Engine) -> pd.DataFrame:
    """The frame without rows of a race day KRA's test records took (kept in their own table)."""
    with engine.connect() as connection:
        days = {
            (race_date, int(meet))
            for race_date, meet in connection.execute(
                select(MarketTestRecordRow.race_date, MarketTestRecordRow.meet)
            )
        }
    if not days or frame.empty:
        return frame
    keys = zip(frame["race_date"].astype(str), frame["meet"].astype(int), strict=True)
    return frame[[key not in days for key in keys]]
