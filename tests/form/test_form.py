"""Point-in-time form equals a plain-loop recomputation over the stored results, entrant by
entrant, for a whole month; a horse without an earlier start has null form; scratched entrants
stay in, flagged."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kra_pipeline.form.columns import DISTANCE_BANDS, FORM_COLUMNS, LONG_BAND, WINDOWS_DAYS
from kra_pipeline.form.compute import OUTPUT_COLUMNS, compute_form
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.form import history_query, read_history
from tests.form.history import LAST_DAY, MONTH

Row = dict[str, Any]


def _band(distance: int | None) -> str | None:
    if distance is None:
        return None
    return next((name for upper, name in DISTANCE_BANDS if distance <= upper), LONG_BAND)


def _day(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _counts(prefix: str, runs: list[Row], outcomes: tuple[str, ...], suffix: str) -> Row:
    best = {"win": 1, "top2": 2, "top3": 3}
    starts = len(runs)
    out: Row = {f"{prefix}_starts{suffix}": starts}
    for outcome in outcomes:
        hits = sum(
            1
            for r in runs
            if r["finish_position"] is not None and r["finish_position"] <= best[outcome]
        )
        out[f"{prefix}_{outcome}s{suffix}"] = hits
        if outcome != "top2":
            out[f"{prefix}_{outcome}_rate{suffix}"] = 100 * hits / starts if starts else None
    return out


def _people(prefix: str, runs: list[Row], day: dt.date) -> Row:
    out: Row = {}
    for days in WINDOWS_DAYS:
        recent = [r for r in runs if (day - r["day"]).days <= days]
        counts = _counts(prefix, recent, ("win", "top3"), f"_{days}d")
        out.update({k: (v if runs else None) for k, v in counts.items()})
    return out


def index_rows(rows: list[Row]) -> dict[str, dict[Any, list[Row]]]:
    """The stored rows listed per horse, jockey, trainer, pair and race (plain dicts)."""
    index: dict[str, dict[Any, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        index["horse_no"][r["horse_no"]].append(r)
        index["jockey_no"][r["jockey_no"]].append(r)
        index["trainer_no"][r["trainer_no"]].append(r)
        index["pair"][(r["jockey_no"], r["trainer_no"])].append(r)
        index["race"][(r["race_date"], r["meet"], r["race_no"])].append(r)
    return index


def brute_force_form(index: dict[str, dict[Any, list[Row]]], target: Row) -> Row:
    """The form of `target` by looping over the stored rows of its horse, jockey, trainer and
    race, nothing vectorised."""
    day = target["day"]

    def earlier(rows: list[Row]) -> list[Row]:
        return [r for r in rows if r["day"] < day and r["is_finished"] and not r["is_scratched"]]

    out: Row = {"distance_band": _band(target["distance"])}
    horse = sorted(
        earlier(index["horse_no"][target["horse_no"]]),
        key=lambda r: (r["day"], r["race_no"]),
    )
    if horse:
        out.update(_counts("horse", horse, ("win", "top2", "top3"), ""))
        recent = [r for r in horse if (day - r["day"]).days <= 365]
        out.update(_counts("horse", recent, ("win", "top2", "top3"), "_365d"))
        last_of_day: dict[dt.date, Row] = {r["day"]: r for r in horse}
        lineage = [last_of_day[d] for d in sorted(last_of_day)]
        out["horse_days_since_last_start"] = (day - lineage[-1]["day"]).days
        for n in (1, 2, 3):
            out[f"horse_last_position_{n}"] = (
                lineage[-n]["finish_position"] if len(lineage) >= n else None
            )
        band = out["distance_band"]
        at_band = [r for r in horse if _band(r["distance"]) == band] if band else None
        at_meet = [r for r in horse if r["meet"] == target["meet"]]
        for label, runs in (("band", at_band), ("meet", at_meet)):
            out[f"horse_starts_at_{label}"] = None if runs is None else len(runs)
            out[f"horse_wins_at_{label}"] = (
                None if runs is None else sum(r["finish_position"] == 1 for r in runs)
            )
        last_weight = lineage[-1]["body_weight"]
        out["horse_last_body_weight"] = last_weight
        if last_weight is not None and target["body_weight"] is not None:
            out["horse_body_weight_change_since_last"] = target["body_weight"] - last_weight
    for prefix, keys in (
        ("jockey", ("jockey_no",)),
        ("trainer", ("trainer_no",)),
        ("jockey_trainer", ("jockey_no", "trainer_no")),
    ):
        if any(target[k] is None for k in keys):
            continue
        key = target[keys[0]] if len(keys) == 1 else tuple(target[k] for k in keys)
        runs = earlier(index["pair" if len(keys) > 1 else keys[0]][key])
        out.update(_people(prefix, runs, day))
    race_key = (target["race_date"], target["meet"], target["race_no"])
    race = [r for r in index["race"][race_key] if not r["is_scratched"]]
    out["field_size"] = len(race)
    ratings = [r["rating"] for r in race if r["rating"] is not None]
    weights = [r["carried_weight"] for r in race if r["carried_weight"] is not None]
    if target["rating"] is not None and ratings:
        out["rating_vs_field"] = target["rating"] - sum(ratings) / len(ratings)
        if not target["is_scratched"]:
            out["rating_rank"] = 1 + sum(1 for rating in ratings if rating > target["rating"])
    if target["carried_weight"] is not None and weights:
        out["carried_weight_vs_field"] = target["carried_weight"] - sum(weights) / len(weights)
    return {name: out.get(name) for name in FORM_COLUMNS}


def _same(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None or actual is pd.NA:
        return (expected is None) == (
            actual is None or actual is pd.NA or (isinstance(actual, float) and math.isnan(actual))
        )
    if isinstance(expected, float) or isinstance(actual, float):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    return expected == actual


@pytest.fixture(scope="module")
def stored(history_file: Path) -> tuple[pd.DataFrame, list[Row]]:
    """The store's history as the form reads it, and the same rows as plain dicts."""
    engine = get_engine(f"sqlite:///{history_file}")
    query = history_query(LAST_DAY)
    frame = read_history(engine, query)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    dispose_engines()
    for row in rows:
        row["day"] = _day(row["race_date"])
    return frame, rows


def test_vectorised_form_equals_a_plain_loop_for_every_entrant_of_a_month(
    stored: tuple[pd.DataFrame, list[Row]],
) -> None:
    frame, rows = stored
    month = frame[frame["race_date"].between(*MONTH)]
    form = compute_form(frame, month)
    assert list(form.columns) == list(OUTPUT_COLUMNS)
    assert len(form) == len(month) > 300
    by_key = {(r["race_date"], r["meet"], r["race_no"], r["gate_no"]): r for r in rows}
    index = index_rows(rows)
    mismatches = []
    for actual in form.to_dict("records"):
        target = by_key[(actual["race_date"], actual["meet"], actual["race_no"], actual["gate_no"])]
        expected = brute_force_form(index, target)
        for name in FORM_COLUMNS:
            if not _same(expected[name], actual[name]):
                mismatches.append(
                    (
                        target["race_date"],
                        target["race_no"],
                        target["gate_no"],
                        name,
                        expected[name],
                        actual[name],
                    )
                )
    assert mismatches == []
    # The windows really cut: some horses have starts older than 365 days, some none in 60.
    assert (form["horse_starts"] > form["horse_starts_365d"]).any()
    assert (form["jockey_starts_60d"] < form["jockey_starts_365d"]).any()


def test_first_starters_get_null_form_and_scratched_entrants_stay_flagged(
    stored: tuple[pd.DataFrame, list[Row]],
) -> None:
    frame, _ = stored
    form = compute_form(frame)
    first = form[form["horse_starts"].isna()]
    assert len(first) > 0
    horse_columns = [n for n in FORM_COLUMNS if n.startswith("horse_")]
    assert first[horse_columns].isna().all().all()  # empty, not zeros
    assert form["is_scratched"].sum() == frame["is_scratched"].sum() > 0
    scratched = form[form["is_scratched"]]
    assert scratched["rating_rank"].isna().all()


def test_column_types_are_nullable_and_ids_strings(stored: tuple[pd.DataFrame, list[Row]]) -> None:
    frame, _ = stored
    form = compute_form(frame.head(500))
    assert str(form["horse_starts"].dtype) == "Int64"
    assert str(form["horse_win_rate"].dtype) == "Float64"
    assert str(form["horse_no"].dtype) == "string"
    empty = compute_form(frame.head(0))
    assert list(empty.columns) == list(OUTPUT_COLUMNS) and empty.empty
