"""The conditional logit: it recovers the coefficient races were drawn with, its probabilities
make one per race, and a scratched runner gets none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kra_pipeline.prediction.model import fit_conditional_logit, predict, softmax_by_race, train

TRUE_SLOPE = 0.8


def test_the_fit_recovers_the_coefficient_the_winners_were_drawn_with() -> None:
    rng = np.random.default_rng(3)
    races, field = 3000, 9
    x = rng.normal(0, 1, (races * field, 2))
    starts = np.arange(0, races * field, field)
    p = softmax_by_race(x @ np.array([TRUE_SLOPE, 0.0]), starts)
    winner = (p.reshape(races, field).cumsum(axis=1) > rng.random((races, 1))).argmax(axis=1)
    won = np.zeros(races * field)
    won[starts + winner] = 1
    beta = fit_conditional_logit(x, won, starts, l2=0.0)
    assert beta[0] == pytest.approx(TRUE_SLOPE, abs=0.06)
    assert abs(beta[1]) < 0.06


@pytest.fixture(scope="module")
def trained(history) -> tuple:
    cutoff = pd.Timestamp("2025-03-23")
    return train(history[history["race_date"] < cutoff], fingerprint=False), cutoff


def test_a_race_days_probabilities_sum_to_one_per_race_and_skip_the_scratched(
    history, trained
) -> None:
    model, cutoff = trained
    first = history.loc[history["race_date"] >= cutoff, "race_date"].min()
    day = history[history["race_date"] == first].reset_index(drop=True)
    scratched = day.index[day["race_no"] == day["race_no"].min()][0]
    day.loc[scratched, "is_scratched"] = True
    predicted = predict(model, day)
    assert len(predicted) == (~day["is_scratched"].astype(bool)).sum()
    gone = day.loc[scratched, ["race_no", "gate_no"]]
    assert predicted[
        (predicted["race_no"] == gone["race_no"]) & (predicted["gate_no"] == gone["gate_no"])
    ].empty
    sums = predicted.groupby("race_no")["win_probability"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    assert (predicted["win_probability"] > 0).all()
    favourites = predicted[predicted["predicted_rank"] == 1].set_index("race_no")
    best = predicted.groupby("race_no")["win_probability"].max()
    assert (favourites["win_probability"] == best.loc[favourites.index]).all()


def test_a_first_starter_gets_an_indicator_not_a_made_up_record(history, trained) -> None:
    model, _ = trained
    position = model.features.index("first_starter")
    assert model.coefficients[position] != 0  # the fit saw first starters apart
