"""Point-in-time form: what was known about an entrant's horse, jockey and trainer on race day.

Computed only from the results in the frame handed in, strictly before each entrant's race date
(races earlier the same day do not count: the card of a whole day is known before any of its
results). One vectorised pass: starts are summed per (entity, day), cumulated per entity, and each
entrant picks the last cumulative row before its date with `merge_asof`; a window of N days is
the difference of two such look-ups. Never the registries' counters, which are today's values.

An entity with no earlier start gets null form (not zeros); with earlier starts but none in a
window, the window's counts are 0 and its rates null. Rates are percentages (0–100).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kra_pipeline.form.columns import (
    DISTANCE_BANDS,
    FORM_COLUMNS,
    FORM_KINDS,
    LONG_BAND,
    WINDOWS_DAYS,
)

# Columns the computation reads (one row per entrant, scratched ones included).
HISTORY_COLUMNS = (
    "race_date",
    "meet",
    "race_no",
    "gate_no",
    "horse_no",
    "jockey_no",
    "trainer_no",
    "is_scratched",
    "carried_weight",
    "body_weight",
    "rating",
    "distance",
    "is_finished",
    "finish_position",
)
ENTRANT_KEY = ("race_date", "meet", "race_no", "gate_no")
RACE_KEY = ("race_date", "meet", "race_no")
ID_COLUMNS = ("horse_no", "jockey_no", "trainer_no", "is_scratched")
OUTPUT_COLUMNS = (*ENTRANT_KEY, *ID_COLUMNS, *FORM_COLUMNS)
_PEOPLE = (("jockey", ("jockey_no",)), ("trainer", ("trainer_no",)))
_PAIR = ("jockey_trainer", ("jockey_no", "trainer_no"))


def distance_band(distance: pd.Series) -> pd.Series:
    """The band of each distance in metres (null when the distance is unknown)."""
    values = pd.to_numeric(distance, errors="coerce")
    bands = pd.Series(LONG_BAND, index=values.index, dtype=object)
    for upper, name in reversed(DISTANCE_BANDS):
        bands[values <= upper] = name
    bands[values.isna()] = None
    return bands


def compute_form(history: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Form of every row of `targets` (default: of `history`) from the starts in `history`
    strictly before the row's race date; columns `OUTPUT_COLUMNS`, rows in `targets` order."""
    hist = _prepare(history)
    tgt = _prepare(history if targets is None else targets).reset_index(drop=True)
    starts = hist[hist["is_finished"] & ~hist["is_scratched"]]
    out = tgt[list(ENTRANT_KEY + ID_COLUMNS)].copy()
    out["distance_band"] = tgt["band"]

    outcomes = ("win", "top2", "top3")
    out = out.join(_entity_form(starts, tgt, ("horse_no",), "horse", outcomes, (None, 365)))
    known = out["horse_starts"].notna()
    out = out.join(_last_starts(starts, tgt))
    for label, keys in (("band", ("horse_no", "band")), ("meet", ("horse_no", "meet"))):
        # A horse with starts, none of them at this band or meet: 0, not null.
        counts = _entity_form(starts, tgt, keys, "at", ("win",), (None,))
        present = tgt[keys[1]].notna() & known
        for name in ("starts", "wins"):
            column = counts[f"at_{name}"]
            out[f"horse_{name}_at_{label}"] = column.where(~present, column.fillna(0))
    out["horse_body_weight_change_since_last"] = tgt["body_weight"] - out["horse_last_body_weight"]
    for prefix, keys in (*_PEOPLE, _PAIR):
        out = out.join(_entity_form(starts, tgt, keys, prefix, ("win", "top3"), WINDOWS_DAYS))
    out = out.join(_field(tgt))
    return typed_form(out[list(OUTPUT_COLUMNS)])


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [name for name in HISTORY_COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"form needs the columns {missing}: read them with store.form")
    out = frame[list(HISTORY_COLUMNS)].copy()
    out["day"] = pd.to_datetime(out["race_date"].astype(str), format="%Y%m%d").astype(
        "datetime64[ns]"
    )
    out["is_scratched"] = out["is_scratched"].astype(bool)
    out["is_finished"] = out["is_finished"].astype(bool)
    position = pd.to_numeric(out["finish_position"], errors="coerce")
    for name, best in (("win", 1), ("top2", 2), ("top3", 3)):
        out[name] = (position <= best).astype(np.int64)
    out["band"] = distance_band(out["distance"]).astype("str").where(out["distance"].notna())
    for name in ("horse_no", "jockey_no", "trainer_no"):
        out[name] = out[name].astype("str").where(out[name].notna())
    out["meet"] = out["meet"].astype(np.int64)
    for name in ("carried_weight", "body_weight", "rating"):
        out[name] = pd.to_numeric(out[name], errors="coerce").astype(float)
    return out


def _before(
    daily: pd.DataFrame, tgt: pd.DataFrame, keys: Sequence[str], at: pd.Series
) -> pd.DataFrame:
    """The last cumulative row of each target's entity strictly before `at` (NaN if none)."""
    left = tgt[list(keys)].assign(
        at=at.astype("datetime64[ns]").to_numpy(), row=np.arange(len(tgt))
    )
    left = left.dropna(subset=list(keys)).sort_values("at", kind="stable")
    right = daily.rename(columns={"day": "at"}).sort_values("at", kind="stable")
    merged = pd.merge_asof(
        left, right, on="at", by=list(keys), allow_exact_matches=False, direction="backward"
    )
    values = [c for c in daily.columns if c not in (*keys, "day")]
    return merged.set_index("row")[values].reindex(np.arange(len(tgt)))


def _entity_form(
    starts: pd.DataFrame,
    tgt: pd.DataFrame,
    keys: Sequence[str],
    prefix: str,
    outcomes: Sequence[str],
    spans: Sequence[int | None],
) -> pd.DataFrame:
    """Starts and outcome counts (and rates, but not of top-2) of each target's entity over
    `spans`: None is the whole history, N the last N days before the race date."""
    counted = ["starts", *(f"{o}s" for o in outcomes)]
    daily = (
        starts.dropna(subset=list(keys))
        .assign(starts=1)
        .rename(columns={o: f"{o}s" for o in outcomes})
        .groupby([*keys, "day"], sort=True)[counted]
        .sum()
        .reset_index()
    )
    daily[counted] = daily.groupby(list(keys), sort=False)[counted].cumsum()
    total = _before(daily, tgt, keys, tgt["day"])
    out = pd.DataFrame(index=tgt.index)
    for days in spans:
        if days is None:
            counts, suffix = total, ""
        else:
            earlier = _before(daily, tgt, keys, tgt["day"] - pd.Timedelta(days=days))
            # No start at all before the race: null; starts, but none in the window: 0.
            counts = (total - earlier.fillna(0)).where(total["starts"].notna())
            suffix = f"_{days}d"
        for name in counted:
            out[f"{prefix}_{name}{suffix}"] = counts[name].to_numpy()
        for outcome in outcomes:
            if outcome != "top2":
                rate = 100 * counts[f"{outcome}s"] / counts["starts"].where(counts["starts"] > 0)
                out[f"{prefix}_{outcome}_rate{suffix}"] = rate.to_numpy()
    return out


def _last_starts(starts: pd.DataFrame, tgt: pd.DataFrame) -> pd.DataFrame:
    """Days since, finishing positions of and body weight at the horse's last starts."""
    runs = starts.sort_values(["horse_no", "day", "race_no"], kind="stable")
    runs = runs.drop_duplicates(["horse_no", "day"], keep="last")
    position = pd.to_numeric(runs["finish_position"], errors="coerce").astype(float)
    by_horse = position.groupby(runs["horse_no"], sort=False)
    lineage = pd.DataFrame(
        {
            "horse_no": runs["horse_no"],
            "day": runs["day"],
            "last_day": runs["day"],
            "horse_last_position_1": position,
            "horse_last_position_2": by_horse.shift(1),
            "horse_last_position_3": by_horse.shift(2),
            "horse_last_body_weight": runs["body_weight"],
        }
    )
    last = _before(lineage, tgt, ("horse_no",), tgt["day"])
    out = last.drop(columns="last_day")
    out["horse_days_since_last_start"] = (tgt["day"] - last["last_day"]).dt.days.to_numpy()
    return out


def _field(tgt: pd.DataFrame) -> pd.DataFrame:
    """Field size, rating rank and weights against the runners (scratched entrants excluded)."""
    runners = tgt[~tgt["is_scratched"]]
    race = [tgt[name] for name in RACE_KEY]
    runner_race = [runners[name] for name in RACE_KEY]
    mean_of = runners.groupby(runner_race)[["rating", "carried_weight"]].mean()
    means = mean_of.reindex(pd.MultiIndex.from_arrays(race)).to_numpy()
    size = runners.groupby(runner_race).size()
    out = pd.DataFrame(index=tgt.index)
    out["field_size"] = size.reindex(pd.MultiIndex.from_arrays(race)).fillna(0).to_numpy()
    ranks = runners.groupby(runner_race)["rating"].rank(ascending=False, method="min")
    out["rating_rank"] = ranks.reindex(tgt.index)
    out["rating_vs_field"] = tgt["rating"].to_numpy() - means[:, 0]
    out["carried_weight_vs_field"] = tgt["carried_weight"].to_numpy() - means[:, 1]
    return out


def typed_form(out: pd.DataFrame) -> pd.DataFrame:
    """Nullable integers for counts, days and positions, floats for rates and differences,
    strings for ids (the types of `compute_form`'s output, also for stored rows read back)."""
    out = out.reset_index(drop=True)
    for name in ("race_date", "horse_no", "jockey_no", "trainer_no", "distance_band"):
        out[name] = out[name].astype("string")
    for name in ("meet", "race_no", "gate_no"):
        out[name] = out[name].astype("int64")
    out["is_scratched"] = out["is_scratched"].astype(bool)
    for name, kind in FORM_KINDS.items():  # distance_band, the one "str", is typed above
        if kind == "int":
            out[name] = pd.to_numeric(out[name]).round().astype("Int64")
        elif kind == "float":
            out[name] = pd.to_numeric(out[name]).astype("Float64")
    return out
