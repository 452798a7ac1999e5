"""Scores of predicted races, with bootstrap intervals over races: one place for every figure
the evaluation, the benchmark and the track record of stored predictions report.

A predicted frame has one row per runner (RACE_KEY columns, `finish_position`) and one win
probability column per predictor. Races without a winner are left out; a predictor is scored
only on the races where every runner has a probability from it (the market needs every price).
Ties in a predictor's ranking are scored as their expectation over a random tie order, so the
uniform baseline scores 1 / field size for top-1, not whichever row comes first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import comb

from kra_pipeline.prediction.features import RACE_KEY

# Per-race metrics, in report order: the mean over races is the figure.
RACE_METRICS = ("log_loss", "brier", "top1", "winner_in_top3", "exact_trio", "top3_overlap")
# Runner-level logistic recalibration of the win indicator on logit(p): 1 and 0 when calibrated.
CALIBRATION_METRICS = ("calibration_slope", "calibration_intercept")
METRICS = (*RACE_METRICS, *CALIBRATION_METRICS)
EPSILON = 1e-15
DRAWS = 1000
SEED = 20250608
_CHUNK = 50  # bootstrap draws fitted at once for the calibration (memory: chunk × runners)


def starters(predicted: pd.DataFrame) -> pd.DataFrame:
    """Runners of races that have a winner (scratched entrants, if marked, are left out)."""
    rows = predicted
    if "is_scratched" in rows:
        rows = rows[~rows["is_scratched"].astype(bool).to_numpy()]
    won = (rows["finish_position"] == 1).fillna(False).astype(bool)
    has_winner = won.groupby([rows[k] for k in RACE_KEY], observed=True).transform("any")
    return rows[has_winner.to_numpy(dtype=bool)].reset_index(drop=True)


def uniform(predicted: pd.DataFrame) -> pd.Series:
    """1 / field size: the baseline of knowing nothing but the runners."""
    size = predicted.groupby(RACE_KEY, observed=True)[RACE_KEY[0]].transform("size")
    return 1.0 / size.astype(float)


def race_metrics(predicted: pd.DataFrame, predictors: Sequence[str]) -> pd.DataFrame:
    """One row per race and predictor: RACE_KEY, `predictor` and the RACE_METRICS of that race."""
    rows = starters(predicted)
    frames = [_one_predictor(rows, name) for name in predictors]
    if not frames:
        return pd.DataFrame(columns=[*RACE_KEY, "predictor", *RACE_METRICS])
    return pd.concat(frames, ignore_index=True)


def _one_predictor(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    p = pd.to_numeric(rows[name], errors="coerce").astype(float)
    race = rows.groupby(RACE_KEY, observed=True, sort=True).ngroup().to_numpy()
    complete = ~pd.Series(p.isna().to_numpy()).groupby(race).transform("any").to_numpy()
    rows, p, race = rows[complete], p[complete].to_numpy(), race[complete]
    race = pd.factorize(race, sort=True)[0]
    position = rows["finish_position"].to_numpy(dtype=float, na_value=np.nan)
    won, placed = position == 1, position <= 3
    frame = pd.DataFrame({"race": race, "p": p})
    size = np.bincount(race).astype(float)
    picks = np.minimum(3, size)[race]
    # Runners priced above each runner (a) and tied with it (t): its chance to be in the top k.
    above = frame.groupby("race")["p"].rank(method="min", ascending=False).to_numpy() - 1
    tied = frame.groupby("race")["p"].rank(method="max", ascending=False).to_numpy() - above
    in_top1 = np.clip((1 - above) / tied, 0, 1)
    in_top3 = np.clip((picks - above) / tied, 0, 1)
    # The exact trio: every sure pick placed, every placed runner a pick, the boundary tie drawn
    # right (1 / C(tied at the boundary, places left)).
    sure, maybe = in_top3 >= 1, (in_top3 > 0) & (in_top3 < 1)
    races = len(size)
    sure_n, maybe_n = np.bincount(race, sure, races), np.bincount(race, maybe, races)
    placed_n = np.bincount(race, placed, races)
    wrong = np.bincount(race, (sure & ~placed) | (placed & ~sure & ~maybe), races)
    left = np.minimum(3, size) - sure_n
    ways = comb(maybe_n, left)  # 0 when more places are left than tied runners
    draw = np.divide(1.0, ways, out=np.zeros(races), where=ways > 0)
    exact = np.where((wrong == 0) & (placed_n == np.minimum(3, size)), draw, 0.0)
    winner_p = np.bincount(race, np.where(won, p, 0.0), races)
    keys = rows.loc[:, RACE_KEY].groupby(race, sort=True).first().reset_index(drop=True)
    out = keys.assign(
        predictor=name,
        log_loss=-np.log(np.maximum(winner_p, EPSILON)),
        brier=np.bincount(race, (p - won) ** 2, races) / size,
        top1=_race_max(race, np.where(won, in_top1, 0.0), races),
        winner_in_top3=_race_max(race, np.where(won, in_top3, 0.0), races),
        exact_trio=exact,
        top3_overlap=np.bincount(race, np.where(placed, in_top3, 0.0), races) / 3,
    )
    return out


def _race_max(race: np.ndarray, values: np.ndarray, races: int) -> np.ndarray:
    out = np.zeros(races)
    np.maximum.at(out, race, values)
    return out


def _race_counts(races: int, draws: int, seed: int) -> np.ndarray:
    """Bootstrap weights: how often each race is drawn in each of `draws` resamples."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, races, size=(draws, races))
    offsets = (np.arange(draws) * races)[:, None]
    return np.bincount((picks + offsets).ravel(), minlength=draws * races).reshape(draws, races)


def _interval(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return (np.nan, np.nan)
    low, high = np.quantile(finite, [0.025, 0.975])
    return float(low), float(high)


def recalibration(
    logit: np.ndarray,
    won: np.ndarray,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
    iterations: int = 25,
) -> np.ndarray:
    """(slope, intercept) of an unpenalised logistic fit of `won` on `logit`, for each row of
    `weights` at once (Newton steps; a row of weights is one bootstrap resample of runners)."""
    w = np.ones((1, len(logit))) if weights is None else np.atleast_2d(weights).astype(float)
    if np.ptp(logit) == 0:  # one probability for every runner: no slope to fit
        return np.full((len(w), 2), np.nan)
    x = np.column_stack([logit, np.ones_like(logit)])
    beta = np.tile([1.0, 0.0] if start is None else start, (len(w), 1))
    for _ in range(iterations):
        mu = 1 / (1 + np.exp(-np.clip(beta @ x.T, -35, 35)))
        gradient = (w * (won - mu)) @ x
        curvature = w * mu * (1 - mu)
        sums = curvature @ np.column_stack([logit * logit, logit, np.ones_like(logit)])
        hessian = sums[:, [0, 1, 1, 2]].reshape(-1, 2, 2) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient[..., None])[..., 0]
        beta = beta + step
        if np.abs(step).max() < 1e-6:
            break
    return beta


def scorecard(
    predicted: pd.DataFrame,
    predictors: Sequence[str],
    *,
    draws: int = DRAWS,
    seed: int = SEED,
) -> pd.DataFrame:
    """One row per predictor × metric: `value` on all scored races, `low`/`high` the 95%
    bootstrap interval resampling races (seeded: the same frame gives the same interval), and
    `races`, how many races the predictor was scored on."""
    rows = starters(predicted)
    per_race = race_metrics(rows, predictors)
    out = []
    for name in predictors:
        scored = per_race[per_race["predictor"] == name].reset_index(drop=True)
        races = len(scored)
        if not races:
            out += [(name, metric, np.nan, np.nan, np.nan, 0) for metric in METRICS]
            continue
        counts = _race_counts(races, draws, seed)
        for metric in RACE_METRICS:
            values = scored[metric].to_numpy(dtype=float)
            boot = counts @ values / races
            out.append((name, metric, float(values.mean()), *_interval(boot), races))
        out += _calibration_rows(rows, scored, name, counts)
    return pd.DataFrame(out, columns=["predictor", "metric", "value", "low", "high", "races"])


def _calibration_rows(
    rows: pd.DataFrame, scored: pd.DataFrame, name: str, counts: np.ndarray
) -> list[tuple]:
    """Slope and intercept with their intervals, on the runners of the races `name` scored."""
    runners = rows.merge(scored[RACE_KEY].assign(_race=np.arange(len(scored))), on=RACE_KEY)
    p = np.clip(runners[name].to_numpy(dtype=float), 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    won = (runners["finish_position"] == 1).to_numpy(dtype=float, na_value=0.0)
    race = runners["_race"].to_numpy()
    value = recalibration(logit, won)[0]
    boot = np.vstack(
        [
            recalibration(logit, won, counts[start : start + _CHUNK][:, race], start=value)
            for start in range(0, len(counts), _CHUNK)
        ]
    )
    races = len(scored)
    return [
        (name, metric, float(value[i]), *_interval(boot[:, i]), races)
        for i, metric in enumerate(CALIBRATION_METRICS)
    ]


def log_loss_gain(
    predicted: pd.DataFrame,
    predictor: str,
    baseline: str,
    *,
    draws: int = DRAWS,
    seed: int = SEED,
) -> dict[str, float]:
    """Mean per-race log-likelihood gain of `predictor` over `baseline` (baseline's log-loss
    minus the predictor's, positive = better) on the races both scored, with its interval."""
    per_race = race_metrics(predicted, [predictor, baseline])
    wide = per_race.pivot_table(index=RACE_KEY, columns="predictor", values="log_loss").dropna()
    both = len(wide) and {predictor, baseline} <= set(wide.columns)
    gain = (wide[baseline] - wide[predictor]).to_numpy() if both else np.array([])
    if not len(gain):
        return {"value": np.nan, "low": np.nan, "high": np.nan, "races": 0}
    boot = _race_counts(len(gain), draws, seed) @ gain / len(gain)
    low, high = _interval(boot)
    return {"value": float(gain.mean()), "low": low, "high": high, "races": len(gain)}


def calibration_table(
    predicted: pd.DataFrame, predictor: str, bins: int | Sequence[float] = 10
) -> pd.DataFrame:
    """Predicted win probability against the observed win rate per band (equal-width bands
    of 0–1 for an int, else the given edges): band, runners, mean_predicted, win_rate."""
    rows = starters(predicted).dropna(subset=[predictor])
    won = (rows["finish_position"] == 1).fillna(False).astype(float)
    edges = np.linspace(0, 1, bins + 1) if isinstance(bins, int) else np.asarray(bins)
    band = pd.cut(rows[predictor].astype(float), edges, include_lowest=True)
    table = (
        pd.DataFrame({"band": band, "predicted": rows[predictor].astype(float), "won": won})
        .groupby("band", observed=True)
        .agg(
            runners=("won", "size"), mean_predicted=("predicted", "mean"), win_rate=("won", "mean")
        )
        .reset_index()
    )
    table["band"] = table["band"].astype(str)
    return table
