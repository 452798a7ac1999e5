"""The model's inputs: the pre-race card and point-in-time form, never odds or results."""

from __future__ import annotations

import pandas as pd

from kra_pipeline.dataset.schema import ENRICHMENT, RESULT
from kra_pipeline.form.columns import FORM_KINDS
from kra_pipeline.races.fields import is_post_race_field

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
# Never inputs: what is known only after the race, the market (a model that uses odds would not
# be comparable with one that does not), and the registries' counters (today's snapshot).
FORBIDDEN = (
    *(name for name, *_ in RESULT),
    "win_odds",
    "place_odds",
    *(name for name, *_ in ENRICHMENT),
)
RACE_KEY = ["race_date", "meet", "race_no"]


class LeakedFeature(ValueError):
    """A feature the model may not see: it would know the race's outcome or today's registry."""


def check_features(features: tuple[str, ...]) -> None:
    """Refuse post-race fields (by name and by KRA's post-race pattern), odds and snapshots."""
    leaked = sorted(f for f in features if f in FORBIDDEN or is_post_race_field(f))
    if leaked:
        raise LeakedFeature(
            f"{', '.join(leaked)} may not be model features: they are known only after the race "
            "or are registry snapshots of today; use the card and the point-in-time form"
        )


def runners(frame: pd.DataFrame) -> pd.DataFrame:
    """Entrants that start: scratched ones are neither trained on nor predicted."""
    return frame[~frame["is_scratched"].astype(bool)].reset_index(drop=True)


def feature_matrix(frame: pd.DataFrame, features: tuple[str, ...] = FEATURES) -> pd.DataFrame:
    """The feature columns as floats, missing values as NaN for the imputer."""
    check_features(features)
    return frame.loc[:, list(features)].astype("Float64").astype(float)


def winners(frame: pd.DataFrame) -> pd.Series:
    return (frame["finish_position"] == 1).fillna(False).astype(int)
