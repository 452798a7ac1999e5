"""Rows of the month-keyed pool grids (API28_1, API29_1, API30_1), normalised defensively.

KRA has published no field list for these services; what the public collectors saw is in
docs/MARKET_SOURCES.md: the legs in `chulNo`/`chulNo1`, `chulNo2`, `chulNo3`, the pool in
`pool` (also read: `poolName`), the price in `odds`. Every spelling seen is accepted, any pool
name KRA uses (code, full or short Korean name) is read, and a row that still does not make
sense is refused with the field at fault: a silently wrong grid would pass every later check.
Rows come out in the existing pool-row shape (`pools.PoolCombination`) with the item kept whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from kra_pipeline.kra.market.pools import POOLS, GridRow, PoolGrid, pool_of
from kra_pipeline.races.fields import compact_date, meet_code, to_number, to_positive_integer

# API id → the pools its rows carry.
GRID_APIS: dict[str, tuple[str, ...]] = {
    "API28_1": ("WIN", "PLC"),
    "API29_1": ("QNL", "EXA", "QPL"),
    "API30_1": ("TLA", "TRI"),
}
# API179_1 names pools by a short Korean name.
SHORT_POOL_NAMES: dict[str, str] = {
    "단식": "WIN",
    "연식": "PLC",
    "복식": "QNL",
    "쌍식": "EXA",
    "복연": "QPL",
    "삼복": "TLA",
    "삼쌍": "TRI",
}
# Each leg and the field names it has been seen under, first leg first.
LEG_ALIASES: tuple[tuple[str, ...], ...] = (("chulNo", "chulNo1"), ("chulNo2",), ("chulNo3",))
POOL_ALIASES = ("pool", "poolName")


class MarketRowError(ValueError):
    """A market row that cannot be read: names the API, the field and the row."""

    def __init__(self, api: str, reason: str, item: Mapping[str, Any]) -> None:
        super().__init__(
            f"{api} row refused: {reason}. Row: {dict(item)}. The whole answer is kept out; "
            "if KRA changed its fields, add the new spelling to "
            "kra_pipeline/kra/market/grid_rows.py"
        )
        self.api = api
        self.reason = reason


def pool_code(name: Any) -> str | None:
    """WIN..TRI from a code, the full Korean name (API160_1) or the short one (API179_1)."""
    pool = pool_of(name)
    if pool is not None:
        return pool.code
    return SHORT_POOL_NAMES.get(str(name).strip()) if name is not None else None


def first_present(item: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first alias present (and not empty) in the row, else None."""
    for name in names:
        value = item.get(name)
        if value not in (None, ""):
            return value
    return None


def race_of(api: str, item: Mapping[str, Any]) -> tuple[str, int, int]:
    """(race date, meet, race number) of a row, or MarketRowError naming the bad field."""
    race_date = compact_date(item.get("rcDate"))
    race_no = to_positive_integer(item.get("rcNo"))
    if race_date is None or race_no is None:
        raise MarketRowError(api, "rcDate or rcNo is missing or unreadable", item)
    try:
        meet = meet_code(item.get("meet", ""))
    except ValueError as error:
        raise MarketRowError(api, str(error), item) from None
    return race_date, meet, race_no


_LEG_FIELDS = tuple(name for aliases in LEG_ALIASES for name in aliases)


def _legs(api: str, item: Mapping[str, Any], pool: str) -> tuple[int, ...]:
    """The legs of a row. A month repeats the same few hundred leg fields in every race, so
    an answer already read is reused (it made parsing a month's 300,000 rows 3x faster)."""
    seen = tuple(item.get(name) for name in _LEG_FIELDS)
    try:
        cached = _LEGS_READ.get((api, pool, seen))
    except TypeError:  # an unhashable value: read it the long way
        return _read_legs(api, item, pool)
    if cached is None:
        cached = _read_legs(api, item, pool)
        if len(_LEGS_READ) < _LEGS_READ_MAX:
            _LEGS_READ[(api, pool, seen)] = cached
    return cached


_LEGS_READ: dict[tuple[Any, ...], tuple[int, ...]] = {}
_LEGS_READ_MAX = 200_000


def _read_legs(api: str, item: Mapping[str, Any], pool: str) -> tuple[int, ...]:
    values: list[int] = []
    for aliases in LEG_ALIASES:
        numbers = {to_number(item[name]) for name in aliases if item.get(name) not in (None, "")}
        if any(n is None or not math.isfinite(n) or n < 0 or n != int(n) for n in numbers):
            raise MarketRowError(api, f"{aliases[0]} is not a gate number", item)
        gates = {int(n) for n in numbers if n}
        if len(gates) > 1:
            raise MarketRowError(api, f"{' and '.join(aliases)} name different gates", item)
        values.append(max(gates, default=0))
    wanted = POOLS[pool].legs
    used, unused = values[:wanted], values[wanted:]
    if any(gate <= 0 for gate in used) or any(unused) or len(set(used)) != wanted:
        raise MarketRowError(
            api, f"a {pool} combination names {wanted} different gate(s), got {values}", item
        )
    return tuple(used) if POOLS[pool].ordered else tuple(sorted(used))


def parse_grid_rows(api: str, items: Iterable[Mapping[str, Any]]) -> PoolGrid:
    """Normalise one grid API's rows. Odds 0 (a race not yet priced) are counted and left out;
    a combination sent twice keeps its last price (`conflicts` counts differing prices)."""
    if api not in GRID_APIS:
        raise ValueError(f"{api} is not a month grid API: use one of {', '.join(GRID_APIS)}")
    grid = PoolGrid()
    pools: dict[Any, str | None] = {}  # a month repeats a few names and races many times
    races: dict[tuple[Any, Any, Any], tuple[str, int, int]] = {}
    for item in items:
        name = first_present(item, POOL_ALIASES)
        pool = pools[name] if name in pools else pools.setdefault(name, pool_code(name))
        if pool not in GRID_APIS[api]:
            raise MarketRowError(
                api, f"pool {name!r} is not one of {api}'s pools {GRID_APIS[api]}", item
            )
        odds = to_number(item.get("odds"))
        if odds is None or not math.isfinite(odds) or odds < 0:
            raise MarketRowError(api, "odds is missing or not a price", item)
        if odds == 0:
            grid.placeholders += 1
            continue
        where = (item.get("rcDate"), item.get("meet"), item.get("rcNo"))
        if where not in races:
            races[where] = race_of(api, item)
        race_date, meet, race_no = races[where]
        grid.add(GridRow(race_date, meet, race_no, pool, _legs(api, item, pool), odds, dict(item)))
    return grid
