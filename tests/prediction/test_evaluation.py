"""The scores of the evaluation, checked by hand on races small enough to count."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kra_pipeline.prediction.evaluation import race_scores, summary


def _race(race_no: int, positions: list[int | None], probabilities: list[float], odds: list[float]):
    return pd.DataFrame(
        {
            "race_date": pd.Timestamp("2025-03-02"),
            "meet": 2,
            "race_no": race_no,
            "gate_no": range(1, len(positions) + 1),
            "finish_position": pd.array(positions, dtype="Int64"),
            "win_probability": probabilities,
            "win_odds": pd.array(odds, dtype="Float64"),
        }
    )


@pytest.fixture
def scores() -> pd.DataFrame:
    first = _race(1, [1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1], [2.0, 4.0, 8.0, 16.0])
    # The model's favourite (gate 1) runs 4th; the market has no odds for gate 4.
    second = _race(2, [4, 3, 2, 1], [0.4, 0.3, 0.2, 0.1], [2.0, 4.0, 8.0, None])
    return race_scores(pd.concat([first, second], ignore_index=True))


def _row(scores: pd.DataFrame, race_no: int, predictor: str) -> pd.Series:
    chosen = scores[(scores["race_no"] == race_no) & (scores["predictor"] == predictor)]
    assert len(chosen) == 1
    return chosen.iloc[0]


def test_a_model_that_ranks_the_race_right_scores_every_hit(scores: pd.DataFrame) -> None:
    model = _row(scores, 1, "model")
    assert (model.top1, model.winner_in_top3, model.exact_trio, model.top3_overlap) == (1, 1, 1, 1)
    assert model.log_loss == pytest.approx(-math.log(0.4))
    assert model.brier == pytest.approx((0.36 + 0.09 + 0.04 + 0.01) / 4)


def test_a_model_that_ranks_it_backwards_misses(scores: pd.DataFrame) -> None:
    model = _row(scores, 2, "model")
    assert (model.top1, model.winner_in_top3, model.exact_trio) == (0, 0, 0)
    assert model.top3_overlap == pytest.approx(2 / 3)  # gates 2 and 3 placed, 1 did not
    assert model.log_loss == pytest.approx(-math.log(0.1))


def test_the_uniform_baseline_is_its_expectation_not_a_tie_order(scores: pd.DataFrame) -> None:
    uniform = _row(scores, 1, "uniform")
    assert uniform.top1 == pytest.approx(1 / 4)
    assert uniform.winner_in_top3 == pytest.approx(3 / 4)
    assert uniform.exact_trio == pytest.approx(1 / 4)  # one of the 4 possible trios
    assert uniform.top3_overlap == pytest.approx(3 / 4)
    assert uniform.log_loss == pytest.approx(math.log(4))


def test_the_market_is_scored_only_where_every_runner_has_odds(scores: pd.DataFrame) -> None:
    market = _row(scores, 1, "market")
    implied = [1 / 2, 1 / 4, 1 / 8, 1 / 16]
    assert market.log_loss == pytest.approx(-math.log(implied[0] / sum(implied)))
    assert scores[(scores["race_no"] == 2) & (scores["predictor"] == "market")].empty
    table = summary(scores)
    overall = table[table["meet"] == "all"].set_index("predictor")
    assert overall.loc["market", "races"] == 1
    assert overall.loc["model", "races"] == overall.loc["uniform", "races"] == 2
    assert overall.loc["model", "top1"] == pytest.approx(0.5)
