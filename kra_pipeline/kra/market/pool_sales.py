"""API179_1 salesAndDividendRate_1 rows, typed: each pool's turnover and its paying combinations.

KRA writes a pool's result as text: the paying gates as circled numbers (① to ⑳ are gates 1
to 20), a dash and the dividend, several combinations apart for place and quinella place:
"⑪③⑥-1077.1", "⑪-2  ⑥-2.5  ③-3.5". The dividend is a multiple of the stake (1077.1 pays
107,710 won for a 100-won ticket); `amt` is the pool's turnover in won. A text that is not
that shape is refused rather than half read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kra_pipeline.kra.market.grid_rows import (
    POOL_ALIASES,
    MarketRowError,
    first_present,
    pool_code,
    race_of,
)
from kra_pipeline.kra.market.pools import POOLS

SALES_API = "API179_1"
CIRCLED_ONE = 0x2460  # ①
CIRCLED_TWENTY = 0x2473  # ⑳
_COMBINATION = re.compile(
    r"(?P<gates>[\u2460-\u2473]+)\s*-\s*(?P<dividend>[0-9][0-9,]*(?:\.[0-9]+)?)"
)


@dataclass(frozen=True)
class Dividend:
    """One paying combination (legs in the pool's order) and its dividend per won staked."""

    legs: tuple[int, ...]
    dividend: float


def circled_gates(text: str) -> tuple[int, ...]:
    """'⑪③⑥' → (11, 3, 6); ValueError for any other character."""
    gates = []
    for char in text:
        if not CIRCLED_ONE <= ord(char) <= CIRCLED_TWENTY:
            raise ValueError(f"{char!r} in {text!r} is not a circled gate number ① to ⑳")
        gates.append(ord(char) - CIRCLED_ONE + 1)
    return tuple(gates)


def parse_dividend_text(text: Any, pool: str) -> tuple[Dividend, ...]:
    """The paying combinations of a pool from API179_1's `odds` text; () for an empty text."""
    value = "" if text is None else str(text).strip()
    if value in ("", "-"):
        return ()
    matches = list(_COMBINATION.finditer(value))
    leftover = _COMBINATION.sub("", value).strip()
    if not matches or leftover:
        raise ValueError(
            f"{pool} dividend text {value!r} is not circled gates, '-' and a dividend "
            "(e.g. '⑪③⑥-1077.1' or '⑪-2  ⑥-2.5')"
        )
    spec = POOLS[pool]
    paid = []
    for match in matches:
        gates = circled_gates(match["gates"])
        if len(gates) != spec.legs or len(set(gates)) != spec.legs:
            raise ValueError(
                f"{pool} dividend text {value!r}: {match['gates']} names {len(gates)} gate(s), "
                f"a {pool} combination names {spec.legs} different gate(s)"
            )
        legs = gates if spec.ordered else tuple(sorted(gates))
        paid.append(Dividend(legs, float(match["dividend"].replace(",", ""))))
    return tuple(paid)


@dataclass(frozen=True)
class PoolSales:
    """One race's pool: turnover (won) and what it paid."""

    race_date: str
    meet: int
    race_no: int
    pool: str
    amount: int
    winners: tuple[Dividend, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.race_date, self.meet, self.race_no, self.pool)


@dataclass
class SalesAnswer:
    """The typed rows of an answer and the repeated rows dropped on the way."""

    rows: list[PoolSales] = field(default_factory=list)
    duplicates: int = 0
    conflicts: int = 0


def _amount(item: Mapping[str, Any]) -> int:
    text = str(item.get("amt", "")).replace(",", "").strip()
    try:
        amount = float(text)
    except ValueError:
        raise MarketRowError(SALES_API, "amt is missing or not a sum of won", item) from None
    if amount < 0 or amount != int(amount):
        raise MarketRowError(SALES_API, "amt is not a whole, non-negative sum of won", item)
    return int(amount)


def parse_sales_rows(items: Iterable[Mapping[str, Any]]) -> SalesAnswer:
    """Type API179_1 rows; a row sent twice is kept once (the last one if they differ)."""
    answer = SalesAnswer()
    index: dict[tuple[str, int, int, str], int] = {}
    for item in items:
        name = first_present(item, POOL_ALIASES)
        pool = pool_code(name)
        if pool is None:
            raise MarketRowError(SALES_API, f"pool {name!r} is not a pool KRA sells", item)
        race_date, meet, race_no = race_of(SALES_API, item)
        try:
            winners = parse_dividend_text(item.get("odds"), pool)
        except ValueError as error:
            raise MarketRowError(SALES_API, str(error), item) from None
        row = PoolSales(race_date, meet, race_no, pool, _amount(item), winners, dict(item))
        if row.key in index:
            earlier = answer.rows[index[row.key]]
            same = (earlier.amount, earlier.winners) == (row.amount, row.winners)
            answer.duplicates += same
            answer.conflicts += not same
            answer.rows[index[row.key]] = row
            continue
        index[row.key] = len(answer.rows)
        answer.rows.append(row)
    return answer
