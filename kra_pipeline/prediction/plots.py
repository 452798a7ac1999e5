"""Pictures of a race model's walk-forward evaluation, as PNG bytes (matplotlib, no display).

The Dagster UI shows them inside markdown metadata (`markdown_image`); the same bytes can be
written to a file. Pure: no Dagster, no store.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from kra_pipeline.prediction.scoring import calibration_table

OVER = "#d62728"  # says more than happens: over-confident
UNDER = "#1f77b4"  # says less than happens: under-confident
Z95 = 1.96


def reliability_bins(predicted: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """`scoring.calibration_table` over bands of about equal count (the probabilities crowd
    below 0.3, where equal widths would leave most bands empty), with the observed win rate's
    Wilson 95% interval."""
    p = predicted["win_probability"].dropna().astype(float)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1))) if len(p) else [0.0, 1.0]
    table = calibration_table(predicted, "win_probability", list(edges))
    low, high = _wilson(table["win_rate"].to_numpy(), table["runners"].to_numpy())
    return table.assign(low=low, high=high)


def _wilson(rate: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial rate: sane at rates near 0, where most bins are."""
    z2 = Z95**2
    centre = (rate + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * np.sqrt(rate * (1 - rate) / n + z2 / (4 * n**2)) / (1 + z2 / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def calibration_png(table: pd.DataFrame, title: str = "Calibration (walk-forward)") -> bytes:
    """A reliability diagram: observed against predicted win rate per bin with its interval
    and count, the diagonal of perfect calibration, the gap shaded red where the model is
    over-confident and blue where it is under-confident; runners per bin below."""
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.4, 6.4), height_ratios=[3, 1], sharex=True, layout="constrained"
    )
    x = table["mean_predicted"].to_numpy(dtype=float)
    y = table["win_rate"].to_numpy(dtype=float)
    edge = max(float(np.nanmax(np.r_[x, table["high"].to_numpy(dtype=float)])) * 1.1, 0.05)
    top.plot([0, edge], [0, edge], color="grey", linestyle="--", linewidth=1, label="perfect")
    for xi, yi in zip(x, y, strict=True):
        top.plot([xi, xi], [xi, yi], color=OVER if yi < xi else UNDER, linewidth=6, alpha=0.35)
    top.errorbar(
        x, y, yerr=[y - table["low"], table["high"] - y], fmt="o", color="black",
        capsize=3, label="observed (95% interval)",
    )  # fmt: skip
    for xi, yi, n in zip(x, y, table["runners"], strict=True):
        top.annotate(f"{n}", (xi, yi), textcoords="offset points", xytext=(5, -10), fontsize=7)
    top.plot([], [], color=OVER, linewidth=6, alpha=0.35, label="over-confident")
    top.plot([], [], color=UNDER, linewidth=6, alpha=0.35, label="under-confident")
    top.set(xlim=(0, edge), ylim=(0, edge), ylabel="observed win rate", title=title)
    top.legend(loc="upper left", fontsize=8)
    widths = np.diff(np.r_[0.0, x]).clip(min=edge / 100) * 0.8
    bottom.bar(x, table["runners"], width=widths, color="grey")
    bottom.set(xlabel="predicted win probability (bin mean)", ylabel="runners")
    return _png(fig)


def weekly_png(weekly: pd.DataFrame) -> bytes:
    """Walk-forward log-loss per week for each predictor (lower is better), one line each."""
    fig, axes = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    for predictor, rows in weekly.groupby("predictor", sort=True):
        axes.plot(pd.to_datetime(rows["week_start"]), rows["log_loss"], marker="o", label=predictor)
    axes.set(ylabel="log-loss (lower is better)", title="Walk-forward log-loss per week")
    axes.legend(fontsize=8)
    fig.autofmt_xdate()
    return _png(fig)


def _png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    plt.close(fig)
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """The PNG inline in markdown (a data URI), as the Dagster UI renders it."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
