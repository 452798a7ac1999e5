"""Walk-forward on a simulated history: every week is predicted by a model that never saw it,
and the model learns what the simulator's horses' skill puts into ratings and form."""

from __future__ import annotations

import pandas as pd
import pytest

from kra_pipeline.prediction.evaluation import race_scores, summary, walk_forward
from kra_pipeline.prediction.features import FEATURES, LeakedFeature
from kra_pipeline.prediction.model import train

CUTOFF = pd.Timestamp("2025-03-30")
WEEKS = 3


@pytest.fixture(scope="module")
def walked(history: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    return walk_forward(history, CUTOFF, WEEKS)


def test_each_week_is_predicted_by_a_model_trained_before_it(walked) -> None:
    predicted, folds = walked
    assert len(folds) == WEEKS
    for fold in folds:
        assert pd.Timestamp(fold.trained_until) < fold.week_start
        week = predicted[predicted["week_start"] == fold.week_start]
        assert (week["race_date"] >= fold.week_start).all()
        assert (week["race_date"] < fold.week_start + pd.Timedelta(days=7)).all()
        sums = week.groupby(["race_date", "race_no"])["win_probability"].sum()
        assert sums.to_numpy() == pytest.approx(1.0)


def test_results_of_a_week_never_change_its_own_predictions(history, walked) -> None:
    predicted, folds = walked
    first = folds[0].week_start
    scrambled = history.copy()
    later = scrambled["race_date"] >= first
    scrambled.loc[later, "finish_position"] = (
        scrambled.loc[later, "finish_position"].iloc[::-1].to_numpy()
    )
    again, _ = walk_forward(scrambled, CUTOFF, WEEKS)
    week = predicted["week_start"] == first
    pd.testing.assert_series_equal(
        predicted.loc[week, "win_probability"].reset_index(drop=True),
        again.loc[again["week_start"] == first, "win_probability"].reset_index(drop=True),
    )


def test_the_model_beats_picking_at_random(walked) -> None:
    predicted, _ = walked
    table = summary(race_scores(predicted)).set_index(["meet", "predictor"])
    model, uniform = table.loc[("all", "model")], table.loc[("all", "uniform")]
    assert model["races"] == uniform["races"] > 20
    assert model["log_loss"] < uniform["log_loss"]
    assert model["top1"] > uniform["top1"]


@pytest.mark.parametrize(
    "leaked", ["finish_position", "win_odds", "horse_win_rate_total", "finish_time", "sjS1fOrd"]
)
def test_a_leaked_column_is_refused_before_training(history: pd.DataFrame, leaked: str) -> None:
    frame = history.assign(**{leaked: 1.0}) if leaked not in history else history
    with pytest.raises(LeakedFeature, match=leaked):
        train(frame, features=(*FEATURES, leaked))


def test_the_margin_over_random_is_outside_the_fold_to_fold_spread(walked) -> None:
    predicted, _ = walked
    scores = race_scores(predicted).merge(
        predicted[["race_date", "week_start"]].drop_duplicates(), on="race_date"
    )
    per_fold = scores.groupby(["week_start", "predictor"])[["log_loss", "winner_in_top3"]].mean()
    model = per_fold.xs("model", level="predictor")
    uniform = per_fold.xs("uniform", level="predictor")
    gain = pd.DataFrame(
        {
            "log_loss": uniform["log_loss"] - model["log_loss"],
            "winner_in_top3": model["winner_in_top3"] - uniform["winner_in_top3"],
        }
    )
    assert (gain.mean() > gain.std()).all(), gain


def test_a_week_is_predicted_from_the_card_the_loader_serves(history) -> None:
    """The loader's card is what is predicted (a runner it marks scratched gets nothing); the
    result scored is the collected one."""
    asked: list[tuple[str, int]] = []

    def sheet(day: str, meet: int) -> pd.DataFrame:
        asked.append((day, meet))
        card = history[history["race_date"] == pd.Timestamp(day)].copy()
        card.loc[card.index[0], "is_scratched"] = True
        return card.drop(columns=["finish_position", "win_odds"])

    predicted, folds = walk_forward(history, CUTOFF, 1, card=sheet)
    assert len(folds) == 1 and asked
    week = history[(history["race_date"] >= folds[0].week_start) & (history["race_date"] < CUTOFF)]
    first_runners = week.groupby("race_date").head(1)
    merged = predicted.merge(first_runners[["race_date", "race_no", "gate_no"]], how="inner")
    assert merged.empty
    assert predicted["finish_position"].notna().any() and predicted["win_odds"].notna().any()
