"""The month-keyed pool grids: API28_1 (WIN, PLC), API29_1 (QNL, EXA, QPL), API30_1 (TLA, TRI).

The cells are the world's tote grid (`SimulatedWorld.pool_grid`, built by market.py over the
starters); this module only decides which pools existed on a day, adds KRA's test records and
puts the cells on the wire the way these three services write them. What is known of them
(docs/MARKET_SOURCES.md): legs in `chulNo` (API28_1), `chulNo1`/`chulNo2` (API29_1) and
`chulNo`/`chulNo2`/`chulNo3` (API30_1); the price in `odds`; a pool's rows exist only from the
month KRA started selling it; a few "test record" days carry grids and nothing else.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from kra_simulator import names
from kra_simulator.market import Combination, race_grid
from kra_simulator.sectionals import number
from kra_simulator.world import SimulatedWorld

Records = list[dict[str, Any]]

# API id → the pools its rows carry and the field of each leg, in leg order.
GRID_APIS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "API28_1": (("WIN", "PLC"), ("chulNo",)),
    "API29_1": (("QNL", "EXA", "QPL"), ("chulNo1", "chulNo2")),
    "API30_1": (("TLA", "TRI"), ("chulNo", "chulNo2", "chulNo3")),
}
# The first day of regular sales of each pool (YYYYMMDD): race days before it have no rows of it.
POOL_REGULAR_SALES: dict[str, str] = {
    "WIN": "20020101",
    "PLC": "20020101",
    "QNL": "20070101",
    "EXA": "20070101",
    "QPL": "20070101",
    "TLA": "20090405",
    "TRI": "20160610",
}
# Busan-Gyeongnam opened in September 2005: no market rows of meet 3 before it.
MEET_FIRST_DAY: dict[int, str] = {1: "20020101", 2: "20020101", 3: "20050901"}
# KRA's test records (JOO's table): days of grids of the pools being tried, and nothing else
# (no card, no sales, no result), with the races each meet shows. None is a simulated race day.
TEST_RECORDS: dict[str, tuple[tuple[str, ...], dict[int, int]]] = {
    "20070109": (("QNL", "EXA"), {1: 4, 2: 1}),
    "20090311": (("TLA",), {1: 1, 3: 1}),
    "20090401": (("TLA",), {2: 3}),
    "20160315": (("TRI",), {1: 5, 2: 3}),
    "20160317": (("TRI",), {3: 1}),
    "20160629": (("TRI",), {1: 5}),
    "20160721": (("TRI",), {1: 1, 2: 1, 3: 1}),
}


def is_test_record(meet: int, race_date: str) -> bool:
    return meet in TEST_RECORDS.get(race_date, ((), {}))[1]


def pools_on(meet: int, race_date: str) -> tuple[str, ...]:
    """The pools sold on a race day of a meet."""
    if race_date < MEET_FIRST_DAY[meet]:
        return ()
    return tuple(pool for pool, first in POOL_REGULAR_SALES.items() if first <= race_date)


def _test_record_grid(seed: int, meet: int, race_date: str) -> list[Combination]:
    """The races of a test record: made-up starters priced by the world's tote (race_grid)."""
    pools, races = TEST_RECORDS[race_date]
    rng = random.Random(f"{seed}:test-record:{race_date}:{meet}")
    grid: list[Combination] = []
    for race_no in range(1, races[meet] + 1):
        weights = [rng.uniform(0.5, 6.0) for _ in range(rng.randint(7, 12))]
        total = sum(weights)
        starters = []
        for gate, weight in enumerate(weights, start=1):
            win = min(999.9, max(1.0, 0.8 * total / weight))
            starters.append(
                {"chulNo": gate, "winOdds": number(win), "plcOdds": number(1 + (win - 1) / 3.5)}
            )
        grid.extend(c for c in race_grid(race_no, starters, finished=True) if c.pool in pools)
    return grid


def day_grid(world: SimulatedWorld, meet: int, race_date: str) -> list[Combination]:
    """Every cell the month services hold for one (meet, day): none before the races are run,
    none of a pool KRA did not sell yet, and the test records' grids."""
    if is_test_record(meet, race_date):
        return _test_record_grid(world.seed, meet, race_date)
    if not world.has_results(race_date):
        return []
    pools = pools_on(meet, race_date)
    return [cell for cell in world.pool_grid(meet, race_date) if cell.pool in pools]


def grid_items(world: SimulatedWorld, api: str, meet: int, race_date: str) -> Records:
    """One API's rows of a day: Korean meet name, English pool code, legs in their fields.
    Keys in alphabetical order (the leg fields sort first), built directly: a month of
    trifecta cells is 100,000 rows, so this loop is most of the simulator's time."""
    pools, fields = GRID_APIS[api]
    day, meet_name = int(race_date), names.RACE_MEET_NAMES[meet]
    items = []
    for cell in day_grid(world, meet, race_date):
        if cell.pool not in pools:
            continue
        legs = cell.legs
        item: dict[str, Any] = {
            name: legs[index] if index < len(legs) else 0 for index, name in enumerate(fields)
        }
        item["meet"] = meet_name
        item["odds"] = cell.odds
        item["pool"] = cell.pool
        item["rcDate"] = day
        item["rcNo"] = cell.race_no
        items.append(item)
    return items


Select = Callable[[SimulatedWorld, Mapping[str, str]], Records]


def pool_filtered(api: str, select: Select) -> Select:
    """`pool` narrows the answer to one of the API's pools; a code it does not carry matches
    nothing; without `pool` every pool of the API comes back (as JOO saw on API29_1)."""
    pools = GRID_APIS[api][0]

    def filtered(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
        wanted = params.get("pool", "").strip().upper()
        records = select(world, params)
        if not wanted:
            return records
        return [r for r in records if r["pool"] == wanted] if wanted in pools else []

    return filtered
