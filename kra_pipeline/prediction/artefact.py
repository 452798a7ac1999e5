"""Trained models on disk: `<KRA_HOME>/models/race_model/<version>/` holds the fitted model, a
JSON card (what it is, readable without loading it) and its walk-forward scores per race;
`served.json` names the model that answers for the days ahead.

A version folder is written once: into a private temporary folder, then renamed into place, so
a reader never sees half a model and an existing version is never rewritten (the operating
system refuses to rename onto a folder that exists). Which version is served, and when that
changes, is the registry's business (`registry.py`); this module only keeps the files.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import joblib

from kra_pipeline.paths import kra_home
from kra_pipeline.prediction.model import RaceModel

MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"
SCORES_FILE = "scores.json"
SERVED_FILE = "served.json"
LEGACY_LATEST_FILE = "latest.json"  # before the registry: the newest model, read as served


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
    # Fields below came with the registry; cards written before it read with these defaults.
    backtest: bool = False
    cutoff: str = ""
    hyper_parameters: dict[str, Any] = field(default_factory=dict)
    code_revision: str = ""
    libraries: dict[str, str] = field(default_factory=dict)
    weekly: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelCard:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def models_dir() -> Path:
    return kra_home() / "models" / "race_model"


def write_version(
    model: RaceModel, card: ModelCard, scores: list[dict[str, Any]], root: Path | None = None
) -> tuple[ModelCard, bool]:
    """Write a new version folder, or keep the one already there untouched. Answers the card
    on disk and whether it was written now (False: the version existed and is reused)."""
    root = root or models_dir()
    folder = root / card.version
    existing = read_card(card.version, root)
    if existing is not None:
        return existing, False
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{card.version}.{uuid.uuid4().hex}.tmp"
    staging.mkdir()
    try:
        card = ModelCard(**{**asdict(card), "path": str(folder)})
        joblib.dump(model, staging / MODEL_FILE)
        (staging / SCORES_FILE).write_text(json.dumps(scores), encoding="utf-8")
        (staging / CARD_FILE).write_text(json.dumps(asdict(card), indent=2), encoding="utf-8")
        try:
            staging.rename(folder)
        except OSError:
            # Another writer put the same version in place first: theirs stays, ours goes.
            if read_card(card.version, root) is None:
                raise FileExistsError(
                    f"{folder} exists but holds no readable {CARD_FILE} (a model saved by an "
                    "older version of this code, or by hand): move it aside, then train again"
                ) from None
            return read_card(card.version, root), False  # type: ignore[return-value]
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return card, True


def read_card(version: str, root: Path | None = None) -> ModelCard | None:
    """The card of `version`, or None when no such version is saved."""
    root = root or models_dir()
    try:
        data = json.loads((root / version / CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ModelCard.from_json({**data, "path": str(root / version)})


def all_cards(root: Path | None = None) -> list[ModelCard]:
    """Every saved version's card, oldest training first."""
    root = root or models_dir()
    if not root.is_dir():
        return []
    cards = [read_card(p.name, root) for p in root.iterdir() if not p.name.startswith(".")]
    return sorted((c for c in cards if c is not None), key=lambda c: (c.trained_at, c.version))


def read_scores(card: ModelCard) -> list[dict[str, Any]]:
    """The walk-forward score of each race the model's evaluation predicted (empty for cards
    saved before the registry)."""
    try:
        return json.loads((Path(card.path) / SCORES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def served_version(root: Path | None = None) -> str | None:
    """The version named by `served.json`; a home from before the registry has only
    `latest.json`, whose model is served until the first promotion writes `served.json`."""
    root = root or models_dir()
    for name in (SERVED_FILE, LEGACY_LATEST_FILE):
        try:
            return str(json.loads((root / name).read_text(encoding="utf-8"))["version"])
        except (OSError, ValueError, KeyError):
            continue
    return None


def set_served(version: str, root: Path | None = None) -> None:
    """Point `served.json` at `version` (atomically: a reader sees the old or the new one)."""
    root = root or models_dir()
    staging = root / f".{SERVED_FILE}.{uuid.uuid4().hex}.tmp"
    staging.write_text(json.dumps({"version": version}), encoding="utf-8")
    os.replace(staging, root / SERVED_FILE)


def served_card(root: Path | None = None) -> ModelCard | None:
    """The served model's card, or None while no model is served."""
    version = served_version(root)
    return read_card(version, root) if version else None


def load(card: ModelCard) -> RaceModel:
    """The fitted model of a card."""
    model = joblib.load(Path(card.path) / MODEL_FILE)
    if not isinstance(model, RaceModel):
        raise TypeError(f"{card.path} does not hold a race model: train one (race_model)")
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
