"""The simulated world is as predictable as real racing: its market (final win odds) knows
as much as KRA's does, and its cards carry real but partial information.

The bands come from real KRA results (`shared/real_kra`, beside the repository; CI has a copy)
and are checked against those files here too, so they stay anchored to reality.
"""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path

import pytest

from kra_simulator import SimulatedWorld
from kra_simulator.realism import (
    REAL_FILES,
    market_figures,
    outside_bands,
    real_races,
    simulated_races,
)
from kra_simulator.world import DEFAULT_SEED

REAL_KRA = Path(__file__).resolve().parents[2].parent / "shared" / "real_kra"
# six months of every meet: ~1,450 races, a few seconds to build
FIRST, LAST, TODAY = "20250101", "20250630", "20250701"


@pytest.fixture(scope="module")
def world() -> SimulatedWorld:
    return SimulatedWorld(seed=DEFAULT_SEED, today=TODAY)


@pytest.fixture(scope="module")
def real_folder() -> Path:
    if all((REAL_KRA / name).is_file() for name in REAL_FILES):
        return REAL_KRA
    reason = f"real KRA results {', '.join(REAL_FILES)} not found in {REAL_KRA}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must check out shared/ beside the repository")
    pytest.skip(f"{reason} (put a copy of shared/real_kra beside the repository)")


def test_simulated_market_is_as_sharp_as_real_racing(world: SimulatedWorld) -> None:
    figures = market_figures(simulated_races(world, FIRST, LAST))
    assert figures.races > 1000
    assert outside_bands(figures) == [], figures.row()


def test_the_bands_hold_real_kra_races(real_folder: Path) -> None:
    for name, races in real_races(real_folder).items():
        figures = market_figures(races)
        assert figures.races > 200, name
        assert outside_bands(figures) == [], (name, figures.row())


def test_the_card_rating_informs_but_knows_less_than_the_market(world: SimulatedWorld) -> None:
    """A one-number model on the card's rating beats picking at random by a clear margin and
    stays well behind the market: the card is worth learning from, the odds still know more."""
    races: dict[tuple, list[tuple[float, int, int]]] = {}
    for day, meet in world.race_days(FIRST, LAST):
        for item in world.race_day_items(meet, day):
            if item["winOdds"] > 0:
                key = (day, meet, item["rcNo"])
                races.setdefault(key, []).append((item["winOdds"], item["ord"], item["rating"]))

    def log_loss(score: list[list[float]]) -> float:
        losses = []
        for race, scores in zip(races.values(), score, strict=True):
            top = max(scores)
            total = sum(math.exp(s - top) for s in scores)
            winner = next(s for s, (_, place, _) in zip(scores, race, strict=True) if place == 1)
            losses.append(math.log(total) - (winner - top))
        return statistics.fmean(losses)

    mean_rating = statistics.fmean(r for race in races.values() for *_, r in race if r)
    rating = min(
        log_loss([[slope * (r or mean_rating) for *_, r in race] for race in races.values()])
        for slope in (0.02, 0.04, 0.06, 0.08, 0.1, 0.12)
    )
    market = log_loss([[-math.log(odds) for odds, *_ in race] for race in races.values()])
    uniform = log_loss([[0.0] * len(race) for race in races.values()])
    assert uniform - rating > 0.1
    assert rating - market > 0.1
