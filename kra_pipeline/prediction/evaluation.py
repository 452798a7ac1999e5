"""Walk-forward evaluation: train on everything before week W, predict week W, move on.

Each race is scored for the model and two baselines on the same runners: uniform (1 / field
size) and the market (inverse final win odds, normalised). Never a random split: a race is only
ever predicted by a model trained on earlier days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kra_pipeline.prediction.features import RACE_KEY, runners
from kra_pipeline.prediction.model import NotEnoughHistory, predict, train

METRICS = ("top1", "winner_in_top3", "exact_top3", "top3_overlap", "log_loss", "brier")
EPSILON = 1e-15


@dataclass(frozen=True)
class Fold:
    week_start: pd.Timestamp
    trained_until: str
    training_races: int
    predicted_races: int


def _market(race: pd.DataFrame) -> np.ndarray | None:
    odds = race["win_odds"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(odds).any() or (odds <= 0).any():
        return None
    implied = 1.0 / odds
    return implied / implied.sum()


def _score(probabilities: np.ndarray, race: pd.DataFrame) -> dict[str, float]:
    positions = race["finish_position"].to_numpy(dtype=float, na_value=np.nan)
    won = positions == 1
    order = np.argsort(-probabilities, kind="stable")
    top3 = set(order[:3])
    placed = set(np.flatnonzero(positions <= 3))
    return {
        "top1": float(won[order[0]]),
        "winner_in_top3": float(won[list(top3)].any()),
        "exact_top3": float(top3 == placed),
        "top3_overlap": len(top3 & placed) / 3,
        "log_loss": float(-np.log(max(probabilities[won].sum(), EPSILON))),
        "brier": float(np.mean((probabilities - won) ** 2)),
    }


def _uniform(race: pd.DataFrame) -> dict[str, float]:
    """What picking at random scores on average: a uniform ranking has only ties, so its
    expected hits are used instead of whichever tie order the rows happen to have."""
    n = len(race)
    won = (race["finish_position"] == 1).to_numpy(dtype=bool, na_value=False)
    placed = int((race["finish_position"] <= 3).fillna(False).sum())
    picks = min(3, n)
    return {
        "top1": 1 / n,
        "winner_in_top3": picks / n,
        "exact_top3": 1 / math.comb(n, picks) if placed == picks else 0.0,
        "top3_overlap": picks * placed / n / 3,
        "log_loss": math.log(n),
        "brier": float(np.mean((1 / n - won) ** 2)),
    }


def race_scores(predicted: pd.DataFrame) -> pd.DataFrame:
    """One row per race and predictor: the metrics of that race (races without a winner and
    the market where a runner has no odds are left out)."""
    rows = []
    for key, race in predicted.groupby(RACE_KEY, observed=True, sort=True):
        if not (race["finish_position"] == 1).any():
            continue
        race = race.reset_index(drop=True)
        candidates = {
            "model": race["win_probability"].to_numpy(dtype=float),
            "market": _market(race),
        }
        keys = dict(zip(RACE_KEY, key, strict=True))
        for predictor, probabilities in candidates.items():
            if probabilities is not None:
                rows.append({**keys, "predictor": predictor, **_score(probabilities, race)})
        rows.append({**keys, "predictor": "uniform", **_uniform(race)})
    return pd.DataFrame(rows, columns=[*RACE_KEY, "predictor", *METRICS])


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


def walk_forward(
    frame: pd.DataFrame, cutoff: pd.Timestamp, weeks: int = 8
) -> tuple[pd.DataFrame, list[Fold]]:
    """Per week before `cutoff`: train on the rows before it and predict its races. Answers
    every predicted runner (with its fold's week) and the folds; score with race_scores."""
    predicted: list[pd.DataFrame] = []
    folds: list[Fold] = []
    for start in week_starts(cutoff, weeks):
        scored = _fold(frame, start)
        if scored is not None:
            fold, week = scored
            folds.append(fold)
            predicted.append(week.assign(week_start=start))
    if not predicted:
        return runners(frame.iloc[0:0]).assign(win_probability=[], week_start=[]), folds
    return pd.concat(predicted, ignore_index=True), folds


def _fold(frame: pd.DataFrame, start: pd.Timestamp) -> tuple[Fold, pd.DataFrame] | None:
    """The week from `start` predicted by a model of the days before it; None for a week
    without runners or with too little history before it."""
    end = start + pd.Timedelta(days=7)
    week = runners(frame[(frame["race_date"] >= start) & (frame["race_date"] < end)])
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
    won = (predicted["finish_position"] == 1).fillna(False).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    band = pd.cut(predicted["win_probability"], edges, include_lowest=True)
    table = (
        pd.DataFrame({"band": band, "predicted": predicted["win_probability"], "won": won})
        .groupby("band", observed=True)
        .agg(
            runners=("won", "size"), mean_predicted=("predicted", "mean"), win_rate=("won", "mean")
        )
        .reset_index()
    )
    table["band"] = table["band"].astype(str)
    return table
