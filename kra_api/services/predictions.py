"""Predictions for the REST shim: stored ones first, else computed now from the newest model.

Computed predictions are never stored here (the `race_predictions` asset does that) and never
made by a model whose training window includes the day asked for.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd

from kra_pipeline.prediction.artefact import ModelCard, check_predates, load, served_card


class NoModel(LookupError):
    """No race model was trained yet."""


class NoCard(LookupError):
    """The race store has no card of that day."""


class NotServed(LookupError):
    """No race model is served (none trained yet, or only backtests)."""


def model_info() -> dict[str, Any]:
    """The served model: version, training window, features, evaluation per week and the
    promotion that made it the served one (when, why, both figures)."""
    from kra_pipeline.prediction.registry import promotion_of

    card = served_card()
    if card is None:
        raise NotServed(
            "no race model is served: materialize race_model with the default cut-off (a "
            "backtest is never served), or serve a saved one with `kra model promote VERSION`"
        )
    info = asdict(card)
    info.pop("path")  # a server path is the operator's business, not the caller's
    info["promotion"] = promotion_of(card.version)
    return info


def _card() -> ModelCard:
    card = served_card()
    if card is None:
        raise NoModel(
            "no race model yet: materialize race_model (Dagster UI, or "
            "`dagster asset materialize -m kra_pipeline.definitions --select race_model`)"
        )
    return card


def predictions_for_day(
    race_date: str, meet: int, race_no: int | None, card: str | None = None
) -> dict[str, Any]:
    """The day's races with each runner's win probability and rank, and the top three, from
    the `card` kind (default: the entry sheet for a day ahead, the morning card from the day on)."""
    from kra_pipeline.contract import DATE_FORMAT, kst_today
    from kra_pipeline.prediction.cards import default_card, serving_card
    from kra_pipeline.prediction.model import predict
    from kra_pipeline.store.db import get_engine
    from kra_pipeline.store.predictions import load_predictions

    card = card or default_card(race_date, kst_today().strftime(DATE_FORMAT))
    engine = get_engine()
    frame = load_predictions(engine, race_date, meet, card).rename(
        columns={"made_at": "predicted_at"}
    )
    source = "stored"
    if frame.empty:
        model = _card()
        check_predates(model, race_date)
        day = serving_card(engine, race_date, meet, card)
        if day.empty:
            raise NoCard(
                f"no {card} card of {race_date} meet {meet} in the race store: collect the day "
                "(POST /api/v2/collection/) or, for a day ahead, fetch its entry sheet"
            )
        frame = predict(load(model), day).assign(model_version=model.version, predicted_at=None)
        source = "computed"
    if race_no is not None:
        frame = frame[frame["race_no"] == race_no]
    return {
        "date": race_date,
        "meet": meet,
        "card": card,
        "source": source,
        "races": _races(frame),
    }


def _races(frame: pd.DataFrame) -> list[dict[str, Any]]:
    races = []
    for number, race in frame.sort_values(["race_no", "predicted_rank"]).groupby("race_no"):
        runners = [
            {
                "gate_no": int(row.gate_no),
                "horse_no": str(row.horse_no),
                "win_probability": round(float(row.win_probability), 6),
                "rank": int(row.predicted_rank),
            }
            for row in race.itertuples()
        ]
        first = race.iloc[0]
        at = first["predicted_at"]
        races.append(
            {
                "race_no": int(number),
                "model_version": str(first["model_version"]),
                "predicted_at": None if pd.isna(at) else str(at),
                "top3": [runner["gate_no"] for runner in runners[:3]],
                "entrants": runners,
            }
        )
    return races
