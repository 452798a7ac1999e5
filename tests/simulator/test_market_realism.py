"""The simulated world is as predictable as real racing: its market (final win odds) knows
as much as KRA's does, and its cards carry real but partial information.

The bands come from real KRA results (`shared/real_kra`, beside the repository; CI has a copy)
and are checked against those files here too, so they stay anchored to reality.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kra_simulator import SimulatedWorld
from kra_simulator.realism import (
    REAL_FILES,
    MarketFigures,
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
def simulated() -> MarketFigures:
    world = SimulatedWorld(seed=DEFAULT_SEED, today=TODAY)
    return market_figures(simulated_races(world, FIRST, LAST))


@pytest.fixture(scope="module")
def real_folder() -> Path:
    if all((REAL_KRA / name).is_file() for name in REAL_FILES):
        return REAL_KRA
    reason = f"real KRA results {', '.join(REAL_FILES)} not found in {REAL_KRA}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must check out shared/ beside the repository")
    pytest.skip(f"{reason} (put a copy of shared/real_kra beside the repository)")


def test_simulated_market_is_as_sharp_as_real_racing(simulated: MarketFigures) -> None:
    assert simulated.races > 1000
    assert outside_bands(simulated) == [], simulated.row()


def test_the_bands_hold_real_kra_races(real_folder: Path) -> None:
    for name, races in real_races(real_folder).items():
        figures = market_figures(races)
        assert figures.races > 200, name
        assert outside_bands(figures) == [], (name, figures.row())
        assert figures.rating_log_loss - figures.market_log_loss > 0.2, (name, figures.row())


def test_the_card_rating_informs_but_knows_less_than_the_market(simulated: MarketFigures) -> None:
    """A one-number predictor on the card's rating beats picking at random (the card is worth
    learning from) and stays far behind the market, as on real races (there the rating gains
    0.035–0.046 on uniform and trails the market by 0.5)."""
    assert simulated.uniform_log_loss - simulated.rating_log_loss > 0.05, simulated.row()
    assert simulated.rating_log_loss - simulated.market_log_loss > 0.2, simulated.row()
