"""Trained models on disk: `<KRA_HOME>/models/race_model/<version>/` holds the fitted model and
a JSON card (features, training window, data hash, evaluation); `latest.json` names the newest.

Versions are never overwritten, so a prediction can always name the model that made it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import joblib

from kra_pipeline.paths import kra_home
from kra_pipeline.prediction.model import RaceModel

MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"
LATEST_FILE = "latest.json"


@dataclass(frozen=True)
class ModelCard:
    """What a saved model is: readable without loading it (GET /api/v2/predict/model-info)."""

    version: str
    features: list[str]
    trained_from: str
    trained_until: str
    training_races: int
    training_rows: int
    data_hash: str
    trained_at: str
    evaluation: list[dict[str, Any]]
    path: str


def models_dir() -> Path:
    return kra_home() / "models" / "race_model"


def save(model: RaceModel, evaluation: list[dict[str, Any]], root: Path | None = None) -> ModelCard:
    """Write the model and its card, then point `latest.json` at it (atomically)."""
    root = root or models_dir()
    folder = root / model.version
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / MODEL_FILE)
    card = ModelCard(
        version=model.version,
        features=list(model.features),
        trained_from=model.trained_from,
        trained_until=model.trained_until,
        training_races=model.training_races,
        training_rows=model.training_rows,
        data_hash=model.data_hash,
        trained_at=model.trained_at,
        evaluation=evaluation,
        path=str(folder),
    )
    (folder / CARD_FILE).write_text(json.dumps(asdict(card), indent=2), encoding="utf-8")
    staging = root / f"{LATEST_FILE}.tmp"
    staging.write_text(json.dumps({"version": model.version}), encoding="utf-8")
    os.replace(staging, root / LATEST_FILE)
    return card


def latest_card(root: Path | None = None) -> ModelCard | None:
    """The newest model's card, or None while no model was trained."""
    root = root or models_dir()
    try:
        version = json.loads((root / LATEST_FILE).read_text(encoding="utf-8"))["version"]
        fields = json.loads((root / version / CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None
    return ModelCard(**fields)


def load(card: ModelCard) -> RaceModel:
    model = joblib.load(Path(card.path) / MODEL_FILE)
    if not isinstance(model, RaceModel):
        raise TypeError(f"{card.path} does not hold a race model")
    return model


class ModelSawTheDay(ValueError):
    """The model was trained on the day asked for: its predictions would be hindsight."""


def check_predates(card: ModelCard, race_date: str) -> None:
    """Refuse a model whose training window includes `race_date` (it would know the results),
    saying how to get one that can predict the day."""
    if card.trained_until >= race_date:
        raise ModelSawTheDay(
            f"race model {card.version} was trained on race days up to {card.trained_until}, "
            f"which include {race_date}: its predictions would know the results. Train one "
            f"with a cut-off on or before {race_date} (race_model config `cutoff`)"
        )
