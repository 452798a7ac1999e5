"""A conditional logit over each race's runners: P(runner wins) = softmax of its score among
the race's starters, fitted by maximising the likelihood of the observed winners.

This is the standard form for races (McFadden's choice model, Benter's first stage): the
probabilities of a race sum to one by construction and nothing re-weights the classes, so a
predicted 0.3 means three wins in ten. Inputs are standardised on the training rows; a missing
value becomes the training mean beside an indicator that says it was missing; an L2 penalty on
the coefficients keeps rare indicators from running away.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from kra_pipeline.prediction.features import (
    FEATURES,
    RACE_KEY,
    Priors,
    check_features,
    feature_matrix,
    runners,
    sources,
    winners,
)

MIN_TRAINING_RACES = 30
L2 = 1e-3  # penalty per race on the squared standardised coefficients


class NotEnoughHistory(ValueError):
    """Too few finished races before the cut-off to train on."""


@dataclass
class RaceModel:
    """A trained model and what it was trained on."""

    coefficients: np.ndarray  # one per feature, on the standardised inputs
    means: np.ndarray
    scales: np.ndarray
    priors: Priors
    features: tuple[str, ...]
    trained_from: str  # first race date of the training rows, YYYYMMDD
    trained_until: str  # last race date of the training rows, YYYYMMDD
    training_races: int
    training_rows: int
    data_hash: str
    l2: float = L2
    trained_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def version(self) -> str:
        return f"{self.trained_until}-{self.data_hash[:10]}"

    @property
    def hyper_parameters(self) -> dict[str, object]:
        """What besides the data decides the fit (for a version that names its recipe)."""
        return {"kind": "conditional_logit", "l2": self.l2, "features": list(self.features)}

    def scores(self, rows: pd.DataFrame) -> np.ndarray:
        """Each runner's utility: the log of its win chance up to a per-race constant."""
        return _standardised(self, rows) @ self.coefficients


def _finished(frame: pd.DataFrame) -> pd.DataFrame:
    """Runners of races with a winner in the store, sorted race by race."""
    starters = runners(frame)
    won = starters["finish_position"].eq(1).fillna(False).astype(bool)
    has_winner = won.groupby([starters[k] for k in RACE_KEY], observed=True).transform("any")
    rows = starters[has_winner.to_numpy(dtype=bool)]
    return rows.sort_values(RACE_KEY, kind="stable").reset_index(drop=True)


def data_hash(frame: pd.DataFrame, features: tuple[str, ...] = FEATURES) -> str:
    """A digest of the training rows (keys, the columns read, outcome): same data, same hash."""
    read = [s for s in sources(features) if s not in (*RACE_KEY, "gate_no")]
    columns = [*RACE_KEY, "gate_no", *read, "finish_position"]
    hashed = pd.util.hash_pandas_object(frame[columns], index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def _standardised(model: RaceModel, rows: pd.DataFrame) -> np.ndarray:
    values = feature_matrix(rows, model.features, model.priors).to_numpy(dtype=float)
    return np.nan_to_num((values - model.means) / model.scales, nan=0.0)


def race_starts(rows: pd.DataFrame) -> np.ndarray:
    """Row offsets where each race begins in rows sorted by race (for np.*.reduceat)."""
    race = rows.groupby(RACE_KEY, observed=True, sort=False).ngroup().to_numpy()
    return np.flatnonzero(np.r_[True, race[1:] != race[:-1]])


def softmax_by_race(utility: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Within each race (rows from each start to the next), exp(u) / sum exp(u)."""
    race = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(utility)]))
    shifted = np.exp(utility - np.maximum.reduceat(utility, starts)[race])
    return shifted / np.add.reduceat(shifted, starts)[race]


def fit_conditional_logit(
    x: np.ndarray, won: np.ndarray, starts: np.ndarray, l2: float = L2
) -> np.ndarray:
    """Coefficients maximising sum over races of log P(winner) - l2 * races * |beta|^2 / 2
    (L-BFGS with the exact gradient); a dead heat counts each winner, shared."""
    races = len(starts)
    race = np.repeat(np.arange(races), np.diff(np.r_[starts, len(x)]))
    share = won / np.maximum(np.add.reduceat(won, starts), 1)[race]

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        utility = x @ beta
        top = np.maximum.reduceat(utility, starts)
        log_total = top + np.log(np.add.reduceat(np.exp(utility - top[race]), starts))
        p = np.exp(utility - log_total[race])
        value = -(share @ utility - log_total.sum()) / races + l2 * beta @ beta / 2
        gradient = -(x.T @ (share - p)) / races + l2 * beta
        return value, gradient

    result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B")
    if not result.success and not np.isfinite(result.fun):
        raise RuntimeError(f"the conditional logit did not converge: {result.message}")
    return result.x


def train(
    frame: pd.DataFrame,
    *,
    features: tuple[str, ...] = FEATURES,
    fingerprint: bool = True,
    l2: float = L2,
) -> RaceModel:
    """Fit on every finished race of `frame` (the caller chooses the window before a cut-off);
    `fingerprint=False` skips the data hash (walk-forward folds are never saved)."""
    check_features(features)  # before any work: a leaked column is refused, not trained on
    rows = _finished(frame)
    starts = race_starts(rows)
    if len(starts) < MIN_TRAINING_RACES:
        raise NotEnoughHistory(
            f"{len(starts)} finished races to train on, fewer than {MIN_TRAINING_RACES}: collect "
            "more race days before the cut-off (POST /api/v2/collection/backfill)"
        )
    priors = Priors.of(rows)
    values = feature_matrix(rows, features, priors).to_numpy(dtype=float)
    means = np.nan_to_num(np.nanmean(values, axis=0)) if len(values) else np.zeros(len(features))
    scales = np.nan_to_num(np.nanstd(values, axis=0))
    scales[scales == 0] = 1.0
    x = np.nan_to_num((values - means) / scales, nan=0.0)
    # One BLAS thread: on a small machine shared with Dagster, more threads only fight.
    with threadpool_limits(limits=1):
        beta = fit_conditional_logit(x, winners(rows).to_numpy(dtype=float), starts, l2)
    dates = rows["race_date"].dt.strftime("%Y%m%d")
    return RaceModel(
        coefficients=beta,
        means=means,
        scales=scales,
        priors=priors,
        features=features,
        trained_from=dates.min(),
        trained_until=dates.max(),
        training_races=len(starts),
        training_rows=len(rows),
        data_hash=data_hash(rows, features) if fingerprint else "",
        l2=l2,
    )


def predict(model: RaceModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Each starter's win probability (softmax within its race) and rank, 1 = likeliest;
    scratched entrants are left out, so they get none."""
    rows = runners(frame)
    if rows.empty:
        return rows.assign(
            win_probability=pd.Series(dtype=float), predicted_rank=pd.Series(dtype=int)
        )
    order = rows.sort_values(RACE_KEY, kind="stable").index.to_numpy()
    sorted_rows = rows.loc[order]
    probability = softmax_by_race(model.scores(sorted_rows), race_starts(sorted_rows))
    rows["win_probability"] = pd.Series(probability, index=order).reindex(rows.index)
    rows["predicted_rank"] = (
        rows.groupby(RACE_KEY, observed=True)["win_probability"]
        .rank(ascending=False, method="first")
        .astype(int)
    )
    return rows
