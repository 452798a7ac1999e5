"""The model's inputs: the pre-race card and point-in-time form, never odds or results."""

from __future__ import annotations

import pandas as pd

from kra_pipeline.features.columns import FORM_KINDS

# Known before the race from the card itself.
CARD_FEATURES = (
    "rating",
    "carried_weight",
    "body_weight",
    "body_weight_change",
    "age",
    "distance",
    "gate_no",
)
# Form computed from the store's results strictly before the race date (numbers only).
FORM_FEATURES = tuple(name for name, kind in FORM_KINDS.items() if kind in ("int", "float"))
FEATURES: tuple[str, ...] = (*CARD_FEATURES, *FORM_FEATURES)
# Never inputs: what is known only after the race, and the market (a model that uses odds
# would not be comparable with one that does not).
FORBIDDEN = ("finish_position", "finish_time", "margin", "finish_note", "win_odds", "place_odds")
RACE_KEY = ["race_date", "meet", "race_no"]


def runners(frame: pd.DataFrame) -> pd.DataFrame:
    """Entrants that start: scratched ones are neither trained on nor predicted."""
    return frame[~frame["is_scratched"].astype(bool)].reset_index(drop=True)


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The feature columns as floats, missing values as NaN for the imputer."""
    assert not set(FORBIDDEN) & set(FEATURES)
    return frame.loc[:, list(FEATURES)].astype("Float64").astype(float)


def winners(frame: pd.DataFrame) -> pd.Series:
    return (frame["finish_position"] == 1).fillna(False).astype(int)
