"""API179_1 salesAndDividendRate_1: per race and pool, the turnover and the winning dividends.

Seven rows a race once every pool is sold (fewer before a pool existed, none on a test record
or before the races are run): `amt` the pool's turnover in won, `pool` KRA's short Korean name,
`odds` the paying combinations as circled gate numbers with their dividend ("⑪③⑥-1077.1";
place and quinella place list each paid combination, "⑪-2  ⑥-2.5  ③-3.5"). Each dividend is the
price of that combination in the world's grid (a capped cell pays more than the cap), and the
turnover is chosen so the winning tickets come out whole: payout share × amt / (100 × dividend)
is a whole number of 100-won tickets (to within the rounding of amt to 100 won).
"""

from __future__ import annotations

import random
from typing import Any

from kra_simulator.market import ODDS_CAP, TAKE, WIN_PAYBACK
from kra_simulator.pool_months import is_test_record, pools_on
from kra_simulator.sectionals import number
from kra_simulator.world import SimulatedWorld

SHORT_NAMES: dict[str, str] = {
    "WIN": "단식",
    "PLC": "연식",
    "QNL": "복식",
    "EXA": "쌍식",
    "QPL": "복연",
    "TLA": "삼복",
    "TRI": "삼쌍",
}
# Share of a pool paid back: win and place pay the win pool's WIN_PAYBACK (the card's odds are
# priced so), the exotic pools the tote's TAKE (73%).
PAYOUT_SHARE: dict[str, float] = {
    "WIN": WIN_PAYBACK,
    "PLC": WIN_PAYBACK,
    **{pool: TAKE for pool in ("QNL", "EXA", "QPL", "TLA", "TRI")},
}
TICKET_WON = 100
# Typical turnover of one race (won) by meet, and each pool's part of it.
RACE_TURNOVER: dict[int, int] = {1: 1_200_000_000, 2: 150_000_000, 3: 800_000_000}
POOL_PART: dict[str, float] = {
    "WIN": 0.04,
    "PLC": 0.05,
    "QNL": 0.2,
    "EXA": 0.15,
    "QPL": 0.1,
    "TLA": 0.16,
    "TRI": 0.3,
}
CIRCLED_ONE = 0x2460  # ①; ⑳ is CIRCLED_ONE + 19


def circled(gate: int) -> str:
    if not 1 <= gate <= 20:
        raise ValueError(f"gate {gate} has no circled number (KRA writes gates 1 to 20)")
    return chr(CIRCLED_ONE + gate - 1)


def paid_combinations(pool: str, order: list[int]) -> list[tuple[int, ...]]:
    """The paying combinations in finishing order: place pays the first three (two in fields
    of seven or fewer), quinella place every pair of the first three."""
    if pool in ("WIN", "PLC"):
        places = 1 if pool == "WIN" else (2 if len(order) <= 7 else 3)
        return [(gate,) for gate in order[:places]]
    if pool == "QPL":
        first, second, third = order[:3]
        return [(first, second), (first, third), (second, third)]
    return [tuple(order[: 2 if pool in ("QNL", "EXA") else 3])]


def _grid_key(pool: str, legs: tuple[int, ...]) -> tuple[int, ...]:
    return legs if pool in ("WIN", "PLC", "EXA", "TRI") else tuple(sorted(legs))


def _turnover(rng: random.Random, meet: int, pool: str, dividends: list[float]) -> int:
    """Won bet on the pool; with one paying combination, a whole number of winning tickets."""
    target = RACE_TURNOVER[meet] * POOL_PART[pool] * rng.uniform(0.5, 1.5)
    if len(dividends) != 1:
        return round(target / TICKET_WON) * TICKET_WON
    share, dividend = PAYOUT_SHARE[pool], dividends[0]
    tickets = max(1, round(share * target / (TICKET_WON * dividend)))
    return round(tickets * dividend / share) * TICKET_WON


def _text(combinations: list[tuple[tuple[int, ...], float]]) -> str:
    return "  ".join(
        "".join(circled(g) for g in legs) + f"-{number(dividend)}"
        for legs, dividend in combinations
    )


def _finishing_orders(world: SimulatedWorld, meet: int, race_date: str) -> dict[int, list[int]]:
    orders: dict[int, list[tuple[int, int]]] = {}
    for item in world.race_day_items(meet, race_date):
        if item["ord"]:
            orders.setdefault(item["rcNo"], []).append((item["ord"], item["chulNo"]))
    return {race: [gate for _, gate in sorted(rows)] for race, rows in orders.items()}


def sales_items(world: SimulatedWorld, meet: int, race_date: str) -> list[dict[str, Any]]:
    """API179_1 rows of one (meet, day), by race and pool."""
    if is_test_record(meet, race_date) or not world.has_results(race_date):
        return []
    pools = pools_on(meet, race_date)
    prices = {(c.race_no, c.pool, c.legs): c.odds for c in world.pool_grid(meet, race_date)}
    rng = random.Random(f"{world.seed}:sales:{race_date}:{meet}")
    items = []
    for race_no, order in sorted(_finishing_orders(world, meet, race_date).items()):
        for pool in pools:
            paid = []
            for legs in paid_combinations(pool, order):
                price = prices[(race_no, pool, _grid_key(pool, legs))]
                paid.append(
                    (legs, number(rng.uniform(10_000, 40_000)) if price >= ODDS_CAP else price)
                )
            items.append(
                {
                    "amt": _turnover(rng, meet, pool, [dividend for _, dividend in paid]),
                    "meet": meet,
                    "odds": _text(paid),
                    "pool": SHORT_NAMES[pool],
                    "rcDate": int(race_date),
                    "rcNo": race_no,
                }
            )
    return items
