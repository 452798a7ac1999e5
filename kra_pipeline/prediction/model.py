"""A per-entrant logistic regression whose scores are normalised within each race.

Median imputation and balanced classes, as the original system's last version used; the win
probabilities of a race's runners sum to one, so they compare with the market's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from kra_pipeline.prediction.features import (
    FEATURES,
    RACE_KEY,
    check_features,
    feature_matrix,
    runners,
    winners,
)

MIN_TRAINING_RACES = 30


class NotEnoughHistory(ValueError):
    """Too few finished races before the cut-off to train on."""


@dataclass
class RaceModel:
    """A trained model and what it was trained on."""

    pipeline: Pipeline
    features: tuple[str, ...]
    trained_from: str  # first race date of the training rows, YYYYMMDD
    trained_until: str  # last race date of the training rows, YYYYMMDD
    training_races: int
    training_rows: int
    data_hash: str
    trained_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def version(self) -> str:
        return f"{self.trained_until}-{self.data_hash[:10]}"


def _finished(frame: pd.DataFrame) -> pd.DataFrame:
    """Runners of races with a winner in the store."""
    starters = runners(frame)
    won = starters["finish_position"].eq(1).fillna(False).astype(bool)
    has_winner = won.groupby([starters[k] for k in RACE_KEY], observed=True).transform("any")
    return starters[has_winner.to_numpy(dtype=bool)].reset_index(drop=True)


def data_hash(frame: pd.DataFrame, features: tuple[str, ...] = FEATURES) -> str:
    """A digest of the training rows (keys, features, outcome): same data, same hash."""
    columns = [*RACE_KEY, "gate_no", *features, "finish_position"]
    hashed = pd.util.hash_pandas_object(frame[columns], index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def train(
    frame: pd.DataFrame, *, features: tuple[str, ...] = FEATURES, fingerprint: bool = True
) -> RaceModel:
    """Fit on every finished race of `frame` (the caller chooses the window before a cut-off);
    `fingerprint=False` skips the data hash (walk-forward folds are never saved)."""
    check_features(features)  # before any work: a leaked column is refused, not trained on
    rows = _finished(frame)
    races = rows.groupby(RACE_KEY, observed=True).ngroups
    if races < MIN_TRAINING_RACES:
        raise NotEnoughHistory(
            f"{races} finished races to train on, fewer than {MIN_TRAINING_RACES}: collect "
            "more race days before the cut-off (POST /api/v2/collection/backfill)"
        )
    pipeline = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=2000),
    )
    # One BLAS thread: on a small machine shared with Dagster, more threads only fight.
    with threadpool_limits(limits=1):
        pipeline.fit(feature_matrix(rows, features), winners(rows))
    dates = rows["race_date"].dt.strftime("%Y%m%d")
    return RaceModel(
        pipeline=pipeline,
        features=features,
        trained_from=dates.min(),
        trained_until=dates.max(),
        training_races=races,
        training_rows=len(rows),
        data_hash=data_hash(rows, features) if fingerprint else "",
    )


def predict(model: RaceModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Each runner's win probability (normalised within its race) and rank, 1 = likeliest."""
    rows = runners(frame)
    if rows.empty:
        return rows.assign(
            win_probability=pd.Series(dtype=float), predicted_rank=pd.Series(dtype=int)
        )
    score = model.pipeline.predict_proba(feature_matrix(rows, model.features))[:, 1]
    rows = rows.assign(score=np.clip(score, 1e-9, None))
    total = rows.groupby(RACE_KEY, observed=True)["score"].transform("sum")
    rows["win_probability"] = rows["score"] / total
    rows["predicted_rank"] = (
        rows.groupby(RACE_KEY, observed=True)["win_probability"]
        .rank(ascending=False, method="first")
        .astype(int)
    )
    return rows.drop(columns="score")
