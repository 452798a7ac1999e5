"""One trained model and its walk-forward scores on the shared simulated history, for the
registry, CLI and REST tests (trained once per session: ~5 s)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from kra_pipeline.dataset import entrants
from kra_pipeline.prediction.evaluation import race_scores, summary, walk_forward
from kra_pipeline.prediction.model import RaceModel, train
from kra_pipeline.prediction.registry import SCORE_COLUMNS, race_log_loss
from kra_pipeline.store.db import dispose_engines, get_engine
from tests.form.history import FIRST_DAY, LAST_DAY, MEET

CUTOFF = pd.Timestamp("2025-03-01")
WEEKS = 2


@dataclass(frozen=True)
class Trained:
    model: RaceModel
    evaluation: list[dict]
    scores: pd.DataFrame  # the model's log-loss per race (SCORE_COLUMNS)
    uniform: pd.DataFrame  # the same races scored by a uniform guess: a worse "model"


@cache
def trained_before_cutoff(history_file: Path) -> Trained:
    frame = entrants(
        FIRST_DAY, LAST_DAY, [MEET], form=True, engine=get_engine(f"sqlite:///{history_file}")
    )
    dispose_engines()
    model = train(frame[frame["race_date"] < CUTOFF])
    predicted, _ = walk_forward(frame, CUTOFF, WEEKS)
    scores = race_log_loss(predicted)
    every = race_scores(predicted)
    uniform = every[every["predictor"] == "uniform"].merge(
        scores[["race_date", "meet", "race_no", "week_start"]]
    )[list(SCORE_COLUMNS)]
    return Trained(model, summary(every).to_dict("records"), scores, uniform)
