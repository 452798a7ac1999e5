"""The market: win probabilities implied by the odds, kept apart from the no-odds model."""

from __future__ import annotations

import pandas as pd

from kra_pipeline.prediction.features import RACE_KEY


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
