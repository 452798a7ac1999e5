"""The market, kept apart from the no-odds model: the probabilities its odds imply, Benter's
second stage that combines them with the model's, and what betting on either would return."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kra_pipeline.prediction.features import RACE_KEY
from kra_pipeline.prediction.model import fit_conditional_logit, race_starts, softmax_by_race


def implied_probabilities(frame: pd.DataFrame) -> pd.Series:
    """1 / win odds normalised within each race (the overround taken out); NaN for every runner
    of a race where one runner has no positive price."""
    odds = pd.to_numeric(frame["win_odds"], errors="coerce").astype(float)
    implied = (1.0 / odds.where(odds > 0)).to_numpy()
    race = frame.groupby(RACE_KEY, observed=True, sort=False).ngroup().to_numpy()
    series = pd.Series(implied, index=frame.index)
    total = series.groupby(race).transform("sum")
    priced = ~series.isna().groupby(race).transform("any")
    return (series / total).where(priced.to_numpy()).astype(float).rename("market")


SECOND_STAGE = "second_stage"
MIN_STAGE_RACES = 100  # earlier predicted races needed before the second stage is fitted
TAKEOUT = 0.20  # the win pool's deduction; final odds are quoted after it


def second_stage(predicted: pd.DataFrame, probability: str = "win_probability") -> pd.Series:
    """Benter's second stage: per week, a conditional logit of log(model p) and log(market p)
    fitted on the earlier weeks' predicted races only, then applied to the week. NaN for the
    races of a week with too few earlier priced races or a race without every price."""
    rows = predicted.assign(market=implied_probabilities(predicted))
    rows = rows.sort_values([*RACE_KEY], kind="stable")
    x = np.log(np.clip(rows[[probability, "market"]].to_numpy(dtype=float), 1e-9, 1))
    won = (rows["finish_position"] == 1).fillna(False).to_numpy(dtype=float)
    out = pd.Series(np.nan, index=rows.index, name=SECOND_STAGE)
    priced = rows["market"].notna().to_numpy()
    for week in sorted(rows["week_start"].unique()):
        before = priced & (rows["week_start"] < week).to_numpy()
        now = priced & (rows["week_start"] == week).to_numpy()
        if not now.any() or len(race_starts(rows[before])) < MIN_STAGE_RACES:
            continue
        beta = fit_conditional_logit(x[before], won[before], race_starts(rows[before]), l2=0.0)
        out[rows.index[now]] = softmax_by_race(x[now] @ beta, race_starts(rows[now]))
    return out.reindex(predicted.index)


def win_pool_returns(predicted: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    """A simulated win-pool return at the final odds (already net of the takeout), 1 unit per
    bet: the predictor's top pick in every race, and every overlay (p x odds > 1). Reported,
    not promised: final odds are not known when a bet is placed."""
    odds = pd.to_numeric(predicted["win_odds"], errors="coerce").astype(float)
    won = (predicted["finish_position"] == 1).fillna(False).to_numpy(dtype=bool)
    out = []
    for name in predictors:
        p = predicted[name].astype(float)
        usable = (p.notna() & (odds > 0)).to_numpy()
        rank = p.groupby([predicted[k] for k in RACE_KEY]).rank(ascending=False, method="first")
        bets = {
            "top pick": usable & (rank == 1).to_numpy(),
            "overlay": usable & (p * odds > 1).to_numpy(),
        }
        for rule, chosen in bets.items():
            stake = float(chosen.sum())
            back = float(odds[chosen & won].sum())
            roi = (back - stake) / stake if stake else np.nan
            out.append((name, rule, int(stake), stake, back, roi))
    return pd.DataFrame(out, columns=["predictor", "bets on", "bets", "stake", "return", "roi"])
