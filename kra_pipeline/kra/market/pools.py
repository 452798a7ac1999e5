"""Tote pools and their combinations, as API160_1 (Korean names) and API301 (codes) send them.

One normal form for both: the pool as its code, the legs as gate numbers in the order the pool
defines — ordered pools (exacta, trifecta) as delivered, unordered ones sorted — unused legs
dropped, duplicate rows removed, and placeholders (odds 0, sent before a race is run) left out.
A price of 9999.9 is KRA's display cap: kept, and flagged as having no usable price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kra_pipeline.races.fields import compact_date, meet_code, to_number

DIVIDENDS_API = "API301"  # Dividend_rate_total
CONFIRMED_ODDS_API = "API160_1"  # integratedInfo_1
# KRA's display cap: a price of 9999.9 means "capped, no usable price", not a payout.
CAPPED_ODDS = 9999.9


@dataclass(frozen=True)
class Pool:
    """A pool's code, its Korean name in API160_1, how many legs it has and whether order counts."""

    code: str
    korean: str
    legs: int
    ordered: bool


POOLS: dict[str, Pool] = {
    pool.code: pool
    for pool in (
        Pool("WIN", "단승식", 1, True),
        Pool("PLC", "연승식", 1, True),
        Pool("QNL", "복승식", 2, False),
        Pool("EXA", "쌍승식", 2, True),
        Pool("QPL", "복연승식", 2, False),
        Pool("TLA", "삼복승식", 3, False),
        Pool("TRI", "삼쌍승식", 3, True),
    )
}
# Pool codes as stored and served, in KRA's usual order: win, place, quinella, exacta,
# quinella place, trio (unordered), trifecta (ordered).
POOL_CODES: tuple[str, ...] = tuple(POOLS)
_BY_NAME: dict[str, Pool] = {
    **{pool.code: pool for pool in POOLS.values()},
    **{pool.korean: pool for pool in POOLS.values()},
}
LEG_FIELDS = ("chulNo", "chulNo2", "chulNo3")


def pool_of(name: Any) -> Pool | None:
    """The pool a Korean name or English code stands for; None for one not known here."""
    return _BY_NAME.get(str(name).strip().upper() if name is not None else "")


@dataclass(frozen=True)
class PoolCombination:
    """One combination of one pool of one race with its confirmed odds."""

    race_date: str
    meet: int
    race_no: int
    pool: str
    legs: tuple[int, ...]
    odds: float

    @property
    def is_capped(self) -> bool:
        return self.odds >= CAPPED_ODDS

    @property
    def key(self) -> tuple[int, str, tuple[int, ...]]:
        return (self.race_no, self.pool, self.legs)


@dataclass(frozen=True)
class GridRow(PoolCombination):
    """A combination plus the item as KRA sent it (kept whole in the store's `raw`)."""

    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass
class PoolGrid:
    """The combinations of an answer, and what was dropped on the way."""

    combinations: list[PoolCombination] = field(default_factory=list)
    duplicates: int = 0
    placeholders: int = 0
    conflicts: int = 0
    unknown_pools: set[str] = field(default_factory=set)
    # Where each (date, meet, race, pool, legs) sits in `combinations`.
    _index: dict[tuple[Any, ...], int] = field(default_factory=dict, repr=False, compare=False)

    def add(self, combination: PoolCombination) -> None:
        """Keep a combination; one sent again keeps its last price (a differing price counts
        as a conflict, the same one as a duplicate)."""
        key = (combination.race_date, combination.meet, *combination.key)
        index = self._index.get(key)
        if index is None:
            self._index[key] = len(self.combinations)
            self.combinations.append(combination)
        elif self.combinations[index].odds == combination.odds:
            self.duplicates += 1
        else:
            self.conflicts += 1
            self.combinations[index] = combination

    def pool_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(POOL_CODES, 0)
        for combination in self.combinations:
            counts[combination.pool] += 1
        return counts


def _legs(item: Mapping[str, Any], pool: Pool) -> tuple[int, ...]:
    """The used legs of a row (0 or a missing `chulNo3` means unused), in the pool's order."""
    values = [int(to_number(item.get(name)) or 0) for name in LEG_FIELDS]
    used, unused = values[: pool.legs], values[pool.legs :]
    if any(gate <= 0 for gate in used) or any(unused) or len(set(used)) != len(used):
        raise ValueError(
            f"{pool.code} row of race {item.get('rcNo')} has legs {values}: a {pool.code} "
            f"combination names {pool.legs} different gate(s) and leaves the rest 0"
        )
    return tuple(used) if pool.ordered else tuple(sorted(used))


def parse_pool_rows(items: Iterable[Mapping[str, Any]], *, keep_raw: bool = False) -> PoolGrid:
    """Normalise API160_1 or API301 rows; the last price wins when a combination repeats.
    With `keep_raw`, rows are GridRows carrying their item (the month grids' per-day route)."""
    grid = PoolGrid()
    for item in items:
        pool = pool_of(item.get("pool"))
        if pool is None:
            grid.unknown_pools.add(str(item.get("pool")))
            continue
        odds = to_number(item.get("odds"))
        if not odds:
            grid.placeholders += 1
            continue
        race_date = compact_date(item.get("rcDate"))
        if race_date is None:
            raise ValueError(f"pool row without a readable rcDate: {item.get('rcDate')!r}")
        fields = {
            "race_date": race_date,
            "meet": meet_code(item["meet"]),
            "race_no": int(item["rcNo"]),
            "pool": pool.code,
            "legs": _legs(item, pool),
            "odds": float(odds),
        }
        grid.add(GridRow(**fields, raw=dict(item)) if keep_raw else PoolCombination(**fields))
    return grid


def winning_legs(pool: str, finish_order: list[int]) -> list[tuple[int, ...]]:
    """The winning combinations of a pool given the gates in finishing order (1st first).

    Place pays the first three (the first two in fields of seven or fewer); quinella place
    pays every pair among the first three.
    """
    first3 = finish_order[:3]
    if pool == "WIN":
        return [tuple(finish_order[:1])] if finish_order else []
    if pool == "PLC":
        paid = 2 if len(finish_order) <= 7 else 3
        return [(gate,) for gate in finish_order[:paid]]
    if pool == "EXA":
        return [tuple(finish_order[:2])] if len(finish_order) >= 2 else []
    if pool == "QNL":
        return [tuple(sorted(finish_order[:2]))] if len(finish_order) >= 2 else []
    if pool == "QPL":
        ordered = sorted(first3)
        return [
            (ordered[i], ordered[j])
            for i in range(len(ordered))
            for j in range(i + 1, len(ordered))
        ]
    if pool == "TRI":
        return [tuple(first3)] if len(first3) == 3 else []
    if pool == "TLA":
        return [tuple(sorted(first3))] if len(first3) == 3 else []
    raise ValueError(f"unknown pool {pool!r}: expected one of {', '.join(POOL_CODES)}")
