"""The model's inputs: the pre-race card and point-in-time form, never odds or results.

The model reads derived inputs, each named in `INPUTS` with the source columns it is computed
from, so the leakage check sees every column that enters. Gaps are not silently imputed: a first
starter, an unrated horse or a missing body weight gets an indicator, and rates are shrunk
toward the training population's rate by the number of starts behind them (a horse 1 from 1
is not a 100% winner).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kra_pipeline.dataset.schema import ENRICHMENT, RESULT
from kra_pipeline.races.fields import is_post_race_field

# Never inputs: what is known only after the race, the market (a model that uses odds would not
# be comparable with one that does not), and the registries' counters (today's snapshot).
FORBIDDEN = (
    *(name for name, *_ in RESULT),
    "win_odds",
    "place_odds",
    *(name for name, *_ in ENRICHMENT),
)
RACE_KEY = ["race_date", "meet", "race_no"]
MEETS = (1, 2, 3)  # Seoul, Jeju, Busan: the draw is read per course
SPRINT_METRES = 1200

# Shrunk rates: (outcome count, starts, prior weight in starts, population outcome).
RATES = {
    "horse_win": ("horse_wins", "horse_starts", 5, "win"),
    "horse_top3": ("horse_top3s", "horse_starts", 5, "top3"),
    "horse_win_365d": ("horse_wins_365d", "horse_starts_365d", 5, "win"),
    "horse_win_at_band": ("horse_wins_at_band", "horse_starts_at_band", 5, "win"),
    "horse_win_at_meet": ("horse_wins_at_meet", "horse_starts_at_meet", 5, "win"),
    "jockey_win_365d": ("jockey_wins_365d", "jockey_starts_365d", 50, "win"),
    "jockey_top3_365d": ("jockey_top3s_365d", "jockey_starts_365d", 50, "top3"),
    "jockey_win_60d": ("jockey_wins_60d", "jockey_starts_60d", 30, "win"),
    "trainer_win_365d": ("trainer_wins_365d", "trainer_starts_365d", 50, "win"),
    "trainer_top3_365d": ("trainer_top3s_365d", "trainer_starts_365d", 50, "top3"),
    "pair_win_365d": ("jockey_trainer_wins_365d", "jockey_trainer_starts_365d", 20, "win"),
}
# Every input the model may read, with the columns it is computed from.
INPUTS: dict[str, tuple[str, ...]] = {
    "rating_vs_field": ("rating_vs_field", "rating"),
    "rating_rank_share": ("rating_rank", "field_size", "rating"),
    "unrated": ("rating",),
    "carried_weight_vs_field": ("carried_weight_vs_field",),
    "age": ("age",),
    "body_weight": ("body_weight",),
    "body_weight_change": ("body_weight_change", "horse_body_weight_change_since_last"),
    "no_body_weight": ("body_weight",),
    "first_starter": ("horse_starts",),
    "log_starts": ("horse_starts",),
    "log_days_since_last": ("horse_days_since_last_start",),
    "last_position": ("horse_last_position_1",),
    "recent_position": ("horse_last_position_1", "horse_last_position_2", "horse_last_position_3"),
    "no_last_position": ("horse_last_position_1",),
    "jockey_unknown": ("jockey_starts_365d",),
    **{f"{name}_shrunk": (wins, starts) for name, (wins, starts, *_) in RATES.items()},
    **{
        f"draw_meet{meet}_{kind}": ("gate_no", "field_size", "meet", "distance")
        for meet in MEETS
        for kind in ("sprint", "route")
    },
}
FEATURES: tuple[str, ...] = tuple(INPUTS)


class LeakedFeature(ValueError):
    """A feature the model may not see: it would know the race's outcome or today's registry."""


def sources(features: tuple[str, ...]) -> tuple[str, ...]:
    """The frame columns `features` read (a name that is not a derived input is a column)."""
    return tuple(dict.fromkeys(s for f in features for s in INPUTS.get(f, (f,))))


def check_features(features: tuple[str, ...]) -> None:
    """Refuse post-race fields (by name and by KRA's post-race pattern), odds and snapshots,
    as features or as the columns a derived input is computed from."""
    leaked = sorted(
        f for f in {*features, *sources(features)} if f in FORBIDDEN or is_post_race_field(f)
    )
    if leaked:
        raise LeakedFeature(
            f"{', '.join(leaked)} may not be model features: they are known only after the race "
            "or are registry snapshots of today; use the card and the point-in-time form"
        )


def runners(frame: pd.DataFrame) -> pd.DataFrame:
    """Entrants that start: scratched ones are neither trained on nor predicted."""
    return frame[~frame["is_scratched"].astype(bool)].reset_index(drop=True)


@dataclass(frozen=True)
class Priors:
    """Population rates of the training runners, the point shrunk rates lean toward."""

    win: float
    top3: float

    @classmethod
    def of(cls, rows: pd.DataFrame) -> Priors:
        position = _num(rows["finish_position"])
        return cls(win=float((position == 1).mean()), top3=float((position <= 3).mean()))


def _num(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce").astype(float)


def _derived(frame: pd.DataFrame, priors: Priors) -> dict[str, pd.Series]:
    col = {name: _num(frame[name]) for name in sources(FEATURES) if name in frame}
    rating = col["rating"].where(col["rating"] > 0)  # 0 on the card: not rated yet
    starts = col["horse_starts"].fillna(0)
    size = col["field_size"].where(col["field_size"] > 1)
    positions = pd.concat([col[f"horse_last_position_{n}"] for n in (1, 2, 3)], axis=1)
    change = col["body_weight_change"].fillna(col["horse_body_weight_change_since_last"])
    out = {
        "rating_vs_field": col["rating_vs_field"].where(rating.notna()),
        "rating_rank_share": ((col["rating_rank"] - 1) / (size - 1)).where(rating.notna()),
        "unrated": rating.isna().astype(float),
        "carried_weight_vs_field": col["carried_weight_vs_field"],
        "age": col["age"],
        "body_weight": col["body_weight"],
        "body_weight_change": change,
        "no_body_weight": col["body_weight"].isna().astype(float),
        "first_starter": (starts == 0).astype(float),
        "log_starts": np.log1p(starts),
        "log_days_since_last": np.log1p(col["horse_days_since_last_start"]),
        "last_position": np.log(positions.iloc[:, 0]),
        "recent_position": np.log(positions).mean(axis=1),
        "no_last_position": positions.iloc[:, 0].isna().astype(float),
        "jockey_unknown": (col["jockey_starts_365d"].fillna(0) == 0).astype(float),
    }
    for name, (wins, count, weight, outcome) in RATES.items():
        prior = getattr(priors, outcome)
        n = col[count].fillna(0)
        out[f"{name}_shrunk"] = (col[wins].fillna(0) + weight * prior) / (n + weight)
    gate = ((col["gate_no"] - 1) / (size - 1)).fillna(0.5)  # 0 = inside, 1 = outside
    sprint = col["distance"] <= SPRINT_METRES
    for meet in MEETS:
        here = col["meet"] == meet
        out[f"draw_meet{meet}_sprint"] = (gate - 0.5).where(here & sprint, 0.0)
        out[f"draw_meet{meet}_route"] = (gate - 0.5).where(here & ~sprint, 0.0)
    return out


def feature_matrix(
    frame: pd.DataFrame, features: tuple[str, ...] = FEATURES, priors: Priors | None = None
) -> pd.DataFrame:
    """The inputs as floats (NaN where a value is unknown and an indicator says so); a name
    outside INPUTS is read from the frame as it is."""
    check_features(features)
    derived = _derived(frame, priors or Priors(win=0.1, top3=0.3))
    return pd.DataFrame(
        {f: derived[f] if f in derived else _num(frame[f]) for f in features}, index=frame.index
    )


def winners(frame: pd.DataFrame) -> pd.Series:
    return (frame["finish_position"] == 1).fillna(False).astype(int)
