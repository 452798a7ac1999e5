"""Walk-forward evaluation: train on everything before week W, predict week W, move on.

Each race is scored for the model and two baselines on the same runners: uniform (1 / field
size) and the market (inverse final win odds, normalised). Never a random split: a race is only
ever predicted by a model trained on earlier days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from kra_pipeline.prediction.features import RACE_KEY, runners
from kra_pipeline.prediction.market import implied_probabilities
from kra_pipeline.prediction.model import NotEnoughHistory, predict, train
from kra_pipeline.prediction.scoring import RACE_METRICS as METRICS
from kra_pipeline.prediction.scoring import calibration_table, race_metrics, uniform

PREDICTORS = ("model", "market", "uniform")


@dataclass(frozen=True)
class Fold:
    week_start: pd.Timestamp
    trained_until: str
    training_races: int
    predicted_races: int


def with_baselines(predicted: pd.DataFrame) -> pd.DataFrame:
    """The predicted runners with one probability column per predictor: the model's
    (`win_probability`), the market's (inverse final win odds, normalised) and uniform's."""
    return predicted.assign(
        model=predicted["win_probability"].astype(float),
        market=implied_probabilities(predicted),
        uniform=uniform(predicted),
    )


def race_scores(predicted: pd.DataFrame) -> pd.DataFrame:
    """One row per race and predictor: the metrics of that race (races without a winner and
    the market where a runner has no odds are left out)."""
    return race_metrics(with_baselines(predicted), PREDICTORS)


def summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per meet and overall, per predictor, with the number of races."""
    if scores.empty:
        return pd.DataFrame(columns=["meet", "predictor", "races", *METRICS])
    overall = scores.assign(meet="all")
    both = pd.concat([scores.assign(meet=scores["meet"].astype(str)), overall])
    grouped = both.groupby(["meet", "predictor"], sort=True)
    table = grouped[list(METRICS)].mean().join(grouped.size().rename("races")).reset_index()
    return table[["meet", "predictor", "races", *METRICS]]


def week_starts(cutoff: pd.Timestamp, weeks: int) -> list[pd.Timestamp]:
    """The starts of the `weeks` whole weeks ending at `cutoff` (exclusive), oldest first."""
    return [cutoff - pd.Timedelta(days=7 * n) for n in range(weeks, 0, -1)]


# A card loader: (race date YYYYMMDD, meet) -> that day's card as served (entrants with form).
CardLoader = Callable[[str, int], pd.DataFrame]
# What scoring reads from the collected day, whatever card the prediction was made from.
OUTCOME = ["finish_position", "win_odds"]
ENTRANT = [*RACE_KEY, "gate_no"]


def walk_forward(
    frame: pd.DataFrame,
    cutoff: pd.Timestamp,
    weeks: int = 8,
    card: CardLoader | None = None,
) -> tuple[pd.DataFrame, list[Fold]]:
    """Per week before `cutoff`: train on the collected results before it and predict its
    race days from `card` (default: the collected card in `frame`). Answers every predicted
    runner (with its fold's week, its result and final odds) and the folds."""
    predicted: list[pd.DataFrame] = []
    folds: list[Fold] = []
    for start in week_starts(cutoff, weeks):
        scored = _fold(frame, start, card)
        if scored is not None:
            fold, week = scored
            folds.append(fold)
            predicted.append(week.assign(week_start=start))
    if not predicted:
        return runners(frame.iloc[0:0]).assign(win_probability=[], week_start=[]), folds
    return pd.concat(predicted, ignore_index=True), folds


def _served(frame: pd.DataFrame, week: pd.DataFrame, card: CardLoader) -> pd.DataFrame:
    """The week's days as `card` serves them, each runner given its collected result and
    final odds (a runner the card lists but that did not start has no result: it lost)."""
    days = week[["race_date", "meet"]].drop_duplicates()
    cards = [card(d.strftime("%Y%m%d"), int(m)) for d, m in days.itertuples(index=False)]
    cards = [c for c in cards if len(c)]
    if not cards:
        return week.iloc[0:0]
    served = pd.concat(cards, ignore_index=True).drop(columns=OUTCOME, errors="ignore")
    served["race_date"] = pd.to_datetime(served["race_date"])
    outcome = frame[[*ENTRANT, *OUTCOME]].astype({"meet": "int64", "race_no": "int64"})
    served = served.astype({"meet": "int64", "race_no": "int64", "gate_no": "int64"})
    return served.merge(outcome.astype({"gate_no": "int64"}), on=ENTRANT, how="left")


def _fold(
    frame: pd.DataFrame, start: pd.Timestamp, card: CardLoader | None
) -> tuple[Fold, pd.DataFrame] | None:
    """The week from `start` predicted by a model of the days before it; None for a week
    without runners or with too little history before it."""
    end = start + pd.Timedelta(days=7)
    week = runners(frame[(frame["race_date"] >= start) & (frame["race_date"] < end)])
    if card is not None and not week.empty:
        week = _served(frame, week, card)
    if week.empty:
        return None
    try:
        model = train(frame[frame["race_date"] < start], fingerprint=False)
    except NotEnoughHistory:
        return None
    predicted = predict(model, week)
    races = predicted.groupby(RACE_KEY, observed=True).ngroups
    return Fold(start, model.trained_until, model.training_races, races), predicted


def calibration(predicted: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Predicted win probability against the observed win rate, in equal-width bins."""
    return calibration_table(predicted, "win_probability", bins)
