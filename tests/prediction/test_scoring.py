"""The scorecard on races whose answers are known: calibrated forecasts recalibrate to slope 1,
a certain winner costs nothing, ties are scored as their expectation, intervals are seeded."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kra_pipeline.prediction.scoring import calibration_table, log_loss_gain, scorecard

RACES, FIELD, DRAWS = 1000, 8, 200


@pytest.fixture(scope="module")
def calibrated() -> pd.DataFrame:
    """Races whose finishing orders are drawn from the forecast itself (Plackett-Luce via the
    Gumbel trick), and an over-confident forecast (p squared, renormalised) of the same races."""
    rng = np.random.default_rng(7)
    strength = rng.normal(0, 1, (RACES, FIELD))
    p = np.exp(strength) / np.exp(strength).sum(axis=1, keepdims=True)
    order = np.argsort(-(np.log(p) + rng.gumbel(size=p.shape)), axis=1)
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(1, FIELD + 1)[None, :].repeat(RACES, 0), axis=1)
    sharp = p**2 / (p**2).sum(axis=1, keepdims=True)
    return pd.DataFrame(
        {
            "race_date": pd.Timestamp("2025-03-01"),
            "meet": 1,
            "race_no": np.repeat(np.arange(RACES), FIELD),
            "finish_position": position.ravel(),
            "truth": p.ravel(),
            "sharp": sharp.ravel(),
            "uniform": 1 / FIELD,
        }
    )


def _card(frame: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    return scorecard(frame, predictors, draws=DRAWS).set_index(["predictor", "metric"])


@pytest.fixture(scope="module")
def card(calibrated: pd.DataFrame) -> pd.DataFrame:
    return _card(calibrated, ["truth", "sharp", "uniform"])


def test_a_calibrated_forecast_has_slope_one_and_an_over_confident_one_does_not(
    card: pd.DataFrame,
) -> None:
    truth = card.loc[("truth", "calibration_slope")]
    assert truth.low < 1 < truth.high and 0.9 < truth.value < 1.1
    assert (
        card.loc[("truth", "calibration_intercept")].low
        < 0
        < card.loc[("truth", "calibration_intercept")].high
    )
    assert card.loc[("sharp", "calibration_slope")].high < 0.9  # p² is twice too steep
    assert card.loc[("truth", "log_loss")].value < card.loc[("sharp", "log_loss")].value
    assert (card["races"] == RACES).all()


def test_the_interval_holds_the_value_and_is_the_same_for_the_same_seed(
    calibrated: pd.DataFrame, card: pd.DataFrame
) -> None:
    truth = card.loc["truth"]
    assert ((truth["low"] <= truth["value"]) & (truth["value"] <= truth["high"])).all()
    again = _card(calibrated, ["truth"]).loc["truth"]
    pd.testing.assert_frame_equal(truth, again)


def test_the_gain_over_uniform_is_the_difference_of_log_losses(
    calibrated: pd.DataFrame, card: pd.DataFrame
) -> None:
    gain = log_loss_gain(calibrated, "truth", "uniform", draws=DRAWS)
    expected = card.loc[("uniform", "log_loss")].value - card.loc[("truth", "log_loss")].value
    assert gain["value"] == pytest.approx(expected)
    assert 0 < gain["low"] < gain["value"] < gain["high"]
    assert card.loc[("uniform", "log_loss")].value == pytest.approx(math.log(FIELD))


def _race(race_no: int, positions: list[int | None], **predictors: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "race_date": pd.Timestamp("2025-03-02"),
            "meet": 2,
            "race_no": race_no,
            "finish_position": pd.array(positions, dtype="Int64"),
            **predictors,
        }
    )


def test_a_certain_winner_costs_nothing_and_ties_score_their_expectation() -> None:
    frame = pd.concat(
        [
            _race(1, [1, 2, 3, 4], sure=[1.0, 0.0, 0.0, 0.0], tied=[0.3, 0.3, 0.3, 0.1]),
            _race(2, [2, 1, 3, None], sure=[1.0, 0.0, 0.0, 0.0], tied=[0.1, 0.3, 0.3, 0.3]),
            _race(3, [None, None], sure=[0.5, 0.5], tied=[0.5, 0.5]),  # no winner: not scored
        ],
        ignore_index=True,
    )
    card = scorecard(frame, ["sure", "tied"], draws=50).set_index(["predictor", "metric"])
    assert card.loc[("sure", "log_loss")].races == 2
    sure_race_1 = scorecard(frame[frame["race_no"] == 1], ["sure"], draws=10)
    assert sure_race_1.set_index("metric").loc["log_loss", "value"] == pytest.approx(0.0)
    assert card.loc[("sure", "top1")].value == pytest.approx(0.5)
    # Race 1: the three tied at 0.3 are the trio; race 2: the winner is one of three tied
    # favourites (top-1 1/3), the trio is gates 1-3 but the tie picks gates 2-4.
    assert card.loc[("tied", "top1")].value == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert card.loc[("tied", "winner_in_top3")].value == pytest.approx(1.0)
    assert card.loc[("tied", "exact_trio")].value == pytest.approx(0.5)
    assert card.loc[("sure", "brier")].value == pytest.approx((0 + 2 / 4) / 2)


def test_a_predictor_is_scored_only_on_races_where_every_runner_has_a_probability() -> None:
    frame = pd.concat(
        [
            _race(1, [1, 2], model=[0.6, 0.4], market=[0.5, 0.5]),
            _race(2, [2, 1], model=[0.6, 0.4], market=[0.5, None]),
        ],
        ignore_index=True,
    )
    card = scorecard(frame, ["model", "market"], draws=20).set_index(["predictor", "metric"])
    assert card.loc[("model", "log_loss")].races == 2
    assert card.loc[("market", "log_loss")].races == 1
    assert card.loc[("market", "log_loss")].value == pytest.approx(math.log(2))


def test_the_calibration_table_counts_runners_per_band(calibrated: pd.DataFrame) -> None:
    table = calibration_table(calibrated, "truth", bins=[0, 0.1, 0.3, 1])
    assert table["runners"].sum() == RACES * FIELD
    assert (abs(table["mean_predicted"] - table["win_rate"]) < 0.03).all(), table
