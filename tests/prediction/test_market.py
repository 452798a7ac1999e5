"""The market apart: implied probabilities and the simulated win-pool return, counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from kra_pipeline.prediction.market import implied_probabilities, win_pool_returns


def test_top_pick_and_overlay_returns_are_paid_at_the_final_odds() -> None:
    frame = pd.DataFrame(
        {
            "race_date": pd.Timestamp("2025-03-02"),
            "meet": 1,
            "race_no": [1, 1, 1, 2, 2],
            "finish_position": [1, 2, 3, 2, 1],
            "win_odds": [3.0, 2.0, 9.0, 1.5, 4.0],
            "model": [0.5, 0.3, 0.2, 0.6, 0.4],
        }
    )
    implied = implied_probabilities(frame)
    assert implied[:3].sum() == pytest.approx(1.0)
    assert implied[0] == pytest.approx((1 / 3) / (1 / 3 + 1 / 2 + 1 / 9))
    returns = win_pool_returns(frame, ["model"]).set_index("bets on")
    # Top picks: race 1 gate 1 wins at 3.0, race 2 gate 1 loses.
    assert returns.loc["top pick", ["bets", "return"]].tolist() == [2, 3.0]
    assert returns.loc["top pick", "roi"] == pytest.approx(0.5)
    # Overlays (p x odds > 1): 0.5x3, 0.2x9, 0.4x4 -> 3 bets, winners at 3.0 and 4.0.
    assert returns.loc["overlay", ["bets", "return"]].tolist() == [3, 7.0]
