"""The simulated tote: a full grid of confirmed odds for every pool of every race.

Prices come from the card's win odds (each starter's implied chance), ordered combinations by
Harville's rule, with the tote's take and KRA's display cap of 9999.9. The grid exists only once
the race is run; before that every combination is listed with odds 0 (the placeholder). Pool
names are spelled here, not imported from the client, so the simulator can check the client.

The wire quirks the client has to survive: API160_1 names pools in Korean and leaves `chulNo3`
out of two-horse pools; API301 uses English codes and repeats some rows; unordered pools come
with their legs in no particular order.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kra_simulator.sectionals import number

# code → (Korean name, legs, ordered)
POOLS: dict[str, tuple[str, int, bool]] = {
    "WIN": ("단승식", 1, True),
    "PLC": ("연승식", 1, True),
    "QNL": ("복승식", 2, False),
    "EXA": ("쌍승식", 2, True),
    "QPL": ("복연승식", 2, False),
    "TLA": ("삼복승식", 3, False),
    "TRI": ("삼쌍승식", 3, True),
}
TAKE = 0.73  # share of the pool paid back
WIN_PAYBACK = 0.8  # the win pool pays back 80% (KRA's take is about 20%: Σ 1/odds ≈ 1.25)
ODDS_CAP = 9999.9
# The crowd sees each runner's strength (log-odds) blurred by this error, and, knowing it
# errs, backs its view with this confidence (below 1, so its prices are calibrated).
MARKET_ERROR_SD = 0.55
MARKET_CONFIDENCE = 0.8
# Long shots are over-bet (the favourite-longshot bias): this share of the pool is spread
# evenly over the field, so no real KRA win price passes about 250 (and none reaches the
# 900 that marks "no odds").
LONGSHOT_SHARE = 0.04
# API301 sends every n-th row twice (duplicates inside one answer are a known KRA habit).
DUPLICATE_EVERY = 37


@dataclass(frozen=True)
class Combination:
    """One cell of a pool's grid; `legs` in the pool's own order (unordered pools sorted)."""

    race_no: int
    pool: str
    legs: tuple[int, ...]
    odds: int | float


def _price(chance: float) -> int | float:
    if chance <= 0:
        return ODDS_CAP
    return number(min(ODDS_CAP, max(1.0, TAKE / chance)))


def win_odds(rng: random.Random, strengths: list[float]) -> list[tuple[int | float, int | float]]:
    """Final win and place odds of the starters: the crowd's chance of each, from its blurred
    view of their strengths, priced after the win pool's take and rounded as KRA shows them."""
    views = [MARKET_CONFIDENCE * (s + rng.gauss(0, MARKET_ERROR_SD)) for s in strengths]
    top = max(views)
    weights = [math.exp(v - top) for v in views]
    total = sum(weights)
    chances = [(1 - LONGSHOT_SHARE) * w / total + LONGSHOT_SHARE / len(views) for w in weights]
    odds = []
    for chance in chances:
        win = min(ODDS_CAP, max(1.0, WIN_PAYBACK / chance))
        place = max(1.0, 1 + (win - 1) / 3.5 * rng.uniform(0.8, 1.2))
        odds.append((number(win), number(place)))
    return odds


def _ordered_chance(chances: dict[int, float], legs: tuple[int, ...]) -> float:
    """Harville: the chance that `legs` finish first, second, ... in that order."""
    left, chance = 1.0, 1.0
    for gate in legs:
        chance *= chances[gate] / left if left > 0 else 0.0
        left -= chances[gate]
    return chance


def race_grid(race_no: int, starters: list[dict[str, Any]], finished: bool) -> list[Combination]:
    """Every combination of the seven pools for one race's starters (card items)."""
    gates = sorted(int(item["chulNo"]) for item in starters)
    card = {int(item["chulNo"]): item for item in starters}
    raw = {gate: 1.0 / float(card[gate]["winOdds"]) for gate in gates}
    total = sum(raw.values())
    chances = {gate: value / total for gate, value in raw.items()}
    trio = {legs: _ordered_chance(chances, legs) for legs in itertools.permutations(gates, 3)}
    pair = {legs: _ordered_chance(chances, legs) for legs in itertools.permutations(gates, 2)}
    top3: dict[tuple[int, ...], float] = {}
    for legs, chance in trio.items():
        for two in itertools.combinations(sorted(legs), 2):
            top3[two] = top3.get(two, 0.0) + chance

    def cells(pool: str) -> Iterator[tuple[tuple[int, ...], int | float]]:
        if pool == "WIN":
            yield from (((g,), card[g]["winOdds"]) for g in gates)
        elif pool == "PLC":
            yield from (((g,), card[g]["plcOdds"]) for g in gates)
        elif pool == "EXA":
            yield from ((legs, _price(pair[legs])) for legs in pair)
        elif pool == "QNL":
            for legs in itertools.combinations(gates, 2):
                yield legs, _price(pair[legs] + pair[legs[::-1]])
        elif pool == "QPL":
            yield from ((legs, _price(top3[legs])) for legs in itertools.combinations(gates, 2))
        elif pool == "TRI":
            yield from ((legs, _price(trio[legs])) for legs in trio)
        else:  # TLA
            for legs in itertools.combinations(gates, 3):
                yield legs, _price(sum(trio[p] for p in itertools.permutations(legs)))

    return [
        Combination(race_no, pool, legs, odds if finished else 0)
        for pool in POOLS
        for legs, odds in cells(pool)
    ]


def _legs_as_sent(combination: Combination, rng: random.Random) -> list[int]:
    legs = list(combination.legs)
    if not POOLS[combination.pool][2]:
        rng.shuffle(legs)
    return legs + [0] * (3 - len(legs))


def odds_items(
    grid: list[Combination], race_date: int, meet_name: str, seed: str
) -> list[dict[str, Any]]:
    """API160_1 integratedInfo_1 rows: Korean pool names; no `chulNo3` in two-horse pools."""
    rng = random.Random(f"{seed}:odds")
    items = []
    for cell in grid:
        name, legs, _ = POOLS[cell.pool]
        first, second, third = _legs_as_sent(cell, rng)
        item = {
            "chulNo": first,
            "chulNo2": second,
            "chulNo3": third,
            "meet": meet_name,
            "odds": cell.odds,
            "pool": name,
            "rcDate": race_date,
            "rcNo": cell.race_no,
        }
        if legs == 2:
            del item["chulNo3"]
        items.append(item)
    return items


def dividend_items(grid: list[Combination], race_date: int, meet: int, seed: str) -> list[dict]:
    """API301 Dividend_rate_total rows: English pool codes, meet as its code, some repeated."""
    rng = random.Random(f"{seed}:dividends")
    items: list[dict[str, Any]] = []
    for index, cell in enumerate(grid):
        first, second, third = _legs_as_sent(cell, rng)
        item = {
            "chulNo": first,
            "chulNo2": second,
            "chulNo3": third,
            "meet": str(meet),
            "odds": cell.odds,
            "pool": cell.pool,
            "rcDate": race_date,
            "rcNo": cell.race_no,
        }
        items.append(item)
        if index % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            items.append(dict(item))
    return items
