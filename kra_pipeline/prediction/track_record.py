"""The live track record: stored pre-race predictions scored against the results that came
later, per card kind, overall and per week, beside uniform and the market on the same races.

Only predictions made before their race's results were stored count (`results_existed` false).
A runner predicted but scratched later did not start: the probabilities are renormalised over
the runners that did (as the tote refunds a scratched horse). A race is scored only when every
starter had a prediction, and uniform and the market are scored on exactly those races (the
market where every starter has a final price).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from kra_pipeline.contract import CARD_KINDS, DATE_FORMAT, RACE_DATE_RE
from kra_pipeline.dataset import entrants
from kra_pipeline.prediction.features import RACE_KEY
from kra_pipeline.prediction.market import implied_probabilities
from kra_pipeline.prediction.scoring import scorecard, uniform
from kra_pipeline.store.predictions import load_pre_race_predictions

PREDICTORS = ("model", "uniform", "market")
WEEK_DRAWS = 200  # bootstrap draws per week (the overall record takes scoring's default)
DEFAULT_WEEKS = 12
_ENTRANT_KEY = [*RACE_KEY, "gate_no"]
# Columns of the per-week summary, as the Dagster UI and the REST answer show it.
_SUMMARY_METRICS = ("log_loss", "brier", "top1", "winner_in_top3")


class BadRange(ValueError):
    """Dates or a card kind the track record cannot be asked for."""


def check_range(date_from: str, date_to: str, card: str | None) -> None:
    """Refuse malformed dates, a reversed range and an unknown card, saying what to send."""
    for label, value in (("date_from", date_from), ("date_to", date_to)):
        if not isinstance(value, str) or not RACE_DATE_RE.match(value):
            raise BadRange(f"{label} must be YYYYMMDD, e.g. '20250523'; got {value!r}")
        try:
            pd.Timestamp(value)
        except ValueError as exc:
            raise BadRange(f"{label} {value} is not a calendar day") from exc
    if date_from > date_to:
        raise BadRange(f"date_from {date_from} is after date_to {date_to}: swap them")
    if card is not None and card not in CARD_KINDS:
        raise BadRange(f"card must be one of {', '.join(CARD_KINDS)}; got {card!r}")


def default_range(today: date, weeks: int = DEFAULT_WEEKS) -> tuple[str, str]:
    """The last `weeks` weeks up to `today`, as (date_from, date_to)."""
    return (today - timedelta(weeks=weeks)).strftime(DATE_FORMAT), today.strftime(DATE_FORMAT)


def scored_predictions(
    engine: Engine, date_from: str, date_to: str, card: str | None = None
) -> pd.DataFrame:
    """One row per starter of every race with a pre-race prediction and a winner: RACE_KEY,
    `card`, `week` (its Monday), `finish_position` and one column per PREDICTORS."""
    check_range(date_from, date_to, card)
    stored = load_pre_race_predictions(engine, date_from, date_to, card)
    columns = [*RACE_KEY, "gate_no", "card", "week", "finish_position", *PREDICTORS]
    if stored.empty:
        return pd.DataFrame(columns=columns)
    meets = sorted({int(m) for m in stored["meet"]})
    results = entrants(date_from, date_to, meets, results=True, engine=engine)
    results = results[~results["is_scratched"]].assign(meet=results["meet"].astype(int))
    results = results.assign(market=implied_probabilities(results))
    stored = stored.assign(
        race_date=pd.to_datetime(stored["race_date"], format="%Y%m%d"),
        meet=stored["meet"].astype(int),
    )
    out = []
    for kind, made in stored.groupby("card", sort=True):
        races = made[RACE_KEY].drop_duplicates()
        starters = results.merge(races, on=RACE_KEY).merge(
            made[[*_ENTRANT_KEY, "win_probability"]], on=_ENTRANT_KEY, how="left"
        )
        complete = ~starters["win_probability"].isna().groupby(
            [starters[k] for k in RACE_KEY]
        ).transform("any")
        has_winner = (
            (starters["finish_position"] == 1)
            .groupby([starters[k] for k in RACE_KEY])
            .transform("any")
        )
        starters = starters[(complete & has_winner).to_numpy(dtype=bool)].copy()
        if starters.empty:
            continue
        by_race = starters.groupby(RACE_KEY, observed=True)["win_probability"]
        starters["model"] = starters["win_probability"] / by_race.transform("sum")
        starters["uniform"] = uniform(starters).to_numpy()
        starters["card"] = kind
        starters["week"] = starters["race_date"] - pd.to_timedelta(
            starters["race_date"].dt.day_of_week, unit="D"
        )
        out.append(starters[columns])
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)


def track_record(
    engine: Engine, date_from: str, date_to: str, card: str | None = None
) -> dict[str, pd.DataFrame]:
    """{"overall": scorecard rows per card kind, "weeks": the same per card kind and week}."""
    scored = scored_predictions(engine, date_from, date_to, card)
    overall, weeks = [], []
    for kind, rows in scored.groupby("card", sort=True):
        overall.append(scorecard(rows, PREDICTORS).assign(card=kind))
        for week, week_rows in rows.groupby("week", sort=True):
            weeks.append(
                scorecard(week_rows, PREDICTORS, draws=WEEK_DRAWS).assign(
                    card=kind, week=week.strftime("%Y-%m-%d")
                )
            )
    columns = ["card", "predictor", "metric", "value", "low", "high", "races"]
    return {
        "overall": pd.concat(overall, ignore_index=True)[columns] if overall else _none(columns),
        "weeks": pd.concat(weeks, ignore_index=True)[["week", *columns]]
        if weeks
        else _none(["week", *columns]),
    }


def _none(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def weekly_table(weeks: pd.DataFrame) -> pd.DataFrame:
    """One row per card kind and week: races, and each predictor's headline metrics."""
    if weeks.empty:
        return pd.DataFrame(columns=["week", "card", "races"])
    wide = weeks[weeks["metric"].isin(_SUMMARY_METRICS)].pivot_table(
        index=["week", "card"], columns=["predictor", "metric"], values="value", aggfunc="first"
    )
    wide.columns = [f"{predictor} {metric}" for predictor, metric in wide.columns]
    ordered = [f"{p} {m}" for m in _SUMMARY_METRICS for p in PREDICTORS if f"{p} {m}" in wide]
    races = weeks[weeks["predictor"] == "model"].groupby(["week", "card"])["races"].max()
    return wide[ordered].assign(races=races).reset_index()[["week", "card", "races", *ordered]]


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """JSON-ready rows (NaN as None, numbers as plain floats and ints)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in clean.to_dict("records")
    ]
