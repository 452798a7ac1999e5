"""How sharp a racing world's market is: the figures that tell real racing from noise.

One computation for the simulator and for real KRA results, so the bands a test holds the
simulator to are checked against reality with the same arithmetic. A race is plain data: each
runner's final win odds, finishing position and card rating; runners without odds (scratched,
no price) are left out, and a race counts only with two priced runners and one priced winner.
The market's chance is the normalised 1/odds; beside it, a one-number predictor on the card's
rating shows how much the card alone tells.

Readers of the two shared real-result files live here too (plain json/csv), so the benchmark and
the test read them the same way.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple


class Runner(NamedTuple):
    odds: float  # final win odds; 0 = scratched or no price
    position: int  # finishing position
    rating: int  # the card's rating; 0 = unrated or unknown


Race = list[Runner]
# slopes tried for the rating-only predictor: softmax(slope × rating) within a race
RATING_SLOPES = (0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15)

REAL_FILES = ("results_2025_coyasong.jsonl", "results_2026_seoul_gamhu.csv")
# Where real KRA racing lies (both real files and larger public counts fall inside): the
# simulated world must too, or model comparisons on it mean little.
REAL_RACING_BANDS: dict[str, tuple[float, float]] = {
    "pseudo_r2": (0.20, 0.26),
    "favourite_wins": (0.34, 0.42),
    "winner_in_three_shortest": (0.65, 0.73),
    "median_overround": (1.22, 1.28),
    "mean_field": (9.5, 11.5),
}


@dataclass(frozen=True)
class MarketFigures:
    """The market's figures over a set of races (see the module docstring)."""

    races: int
    market_log_loss: float  # mean −log p(winner), market
    uniform_log_loss: float  # mean log(field)
    favourite_wins: float  # share of races won by the shortest price (ties share the race)
    winner_in_three_shortest: float  # share won by a runner with fewer than 3 shorter prices
    median_overround: float  # median Σ 1/odds
    mean_field: float  # mean runners with odds
    rating_log_loss: float  # mean −log p(winner) of the best softmax(slope × rating)

    @property
    def pseudo_r2(self) -> float:
        """1 − LL(market)/LL(uniform): how much of the uncertainty the market removes."""
        return 1 - self.market_log_loss / self.uniform_log_loss

    def row(self) -> dict[str, float | int]:
        return {
            "races": self.races,
            "market −log p(winner)": round(self.market_log_loss, 3),
            "uniform −log p(winner)": round(self.uniform_log_loss, 3),
            "pseudo-R²": round(self.pseudo_r2, 3),
            "favourite wins": round(self.favourite_wins, 3),
            "winner in 3 shortest": round(self.winner_in_three_shortest, 3),
            "median overround": round(self.median_overround, 3),
            "mean field": round(self.mean_field, 2),
            "rating-only −log p(winner)": round(self.rating_log_loss, 3),
        }


def outside_bands(figures: MarketFigures) -> list[str]:
    """The figures of `figures` outside REAL_RACING_BANDS, each as 'name value not in [lo, hi]'."""
    misses = []
    for name, (low, high) in REAL_RACING_BANDS.items():
        value = getattr(figures, name)
        if not low <= value <= high:
            misses.append(f"{name} {value:.3f} not in [{low}, {high}]")
    return misses


def _rating_log_loss(races: list[Race], slope: float) -> float:
    """Mean −log p(winner) of softmax(slope × rating) (unrated runners at the race's mean)."""
    losses = []
    for race in races:
        rated = [r.rating for r in race if r.rating > 0]
        fill = statistics.fmean(rated) if rated else 0.0
        scores = [slope * (r.rating or fill) for r in race]
        top = max(scores)
        winner = next(s for s, r in zip(scores, race, strict=True) if r.position == 1)
        losses.append(math.log(sum(math.exp(s - top) for s in scores)) - (winner - top))
    return statistics.fmean(losses)


def market_figures(races: Iterable[Race]) -> MarketFigures:
    """The market's figures over `races`; raises if none of them can be scored."""
    market, uniform, favourite, top3, overround, field = [], [], [], [], [], []
    scored: list[Race] = []
    for race in races:
        priced = [runner for runner in race if runner.odds > 0]
        winners = [runner.odds for runner in priced if runner.position == 1]
        if len(priced) < 2 or len(winners) != 1:
            continue
        odds = [runner.odds for runner in priced]
        total = sum(1 / o for o in odds)
        winner, shortest = winners[0], min(odds)
        market.append(-math.log(1 / winner / total))
        uniform.append(math.log(len(priced)))
        favourite.append(1 / odds.count(shortest) if winner == shortest else 0.0)
        top3.append(sum(o < winner for o in odds) < 3)
        overround.append(total)
        field.append(len(priced))
        scored.append(priced)
    if not market:
        raise ValueError("no race with two priced runners and one priced winner to score")
    return MarketFigures(
        races=len(market),
        market_log_loss=statistics.fmean(market),
        uniform_log_loss=statistics.fmean(uniform),
        favourite_wins=statistics.fmean(favourite),
        winner_in_three_shortest=statistics.fmean(top3),
        median_overround=statistics.median(overround),
        mean_field=statistics.fmean(field),
        rating_log_loss=min(_rating_log_loss(scored, slope) for slope in RATING_SLOPES),
    )


def races_from_items(items: Iterable[dict]) -> list[Race]:
    """Races from API214_1-shaped items (`rcDate`, `meet`, `rcNo`, `winOdds`, `ord`, `rating`)."""
    races: dict[tuple, Race] = {}
    for item in items:
        key = (item["rcDate"], item["meet"], item["rcNo"])
        runner = Runner(float(item["winOdds"]), int(item["ord"]), int(item["rating"] or 0))
        races.setdefault(key, []).append(runner)
    return list(races.values())


def simulated_races(world: Any, first: str, last: str) -> list[Race]:
    """Races of every meet of a SimulatedWorld from `first` to `last` (YYYYMMDD, run days)."""
    days = world.race_days(first, last)
    return races_from_items(item for day, meet in days for item in world.race_day_items(meet, day))


def read_coyasong(path: Path) -> list[Race]:
    """The 2025 three-meet file: one race per line, `horses[].result.{win_odds, ord}`."""
    races = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            races.append(
                [
                    Runner(
                        float(h["result"]["win_odds"] or 0),
                        int(h["result"]["ord"]),
                        int(h.get("rating") or 0),
                    )
                    for h in json.loads(line)["horses"]
                ]
            )
    return races


def read_gamhu(path: Path) -> list[Race]:
    """The 2026 Seoul file: one runner per row, API names `rcDate, rcNo, winOdds, ord,
    hrRating`."""
    races: dict[tuple[str, str], Race] = {}
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            runner = Runner(
                float(row["winOdds"] or 0),
                int(float(row["ord"] or 0)),
                int(float(row["hrRating"] or 0)),
            )
            races.setdefault((row["rcDate"], row["rcNo"]), []).append(runner)
    return list(races.values())


def real_races(folder: Path) -> dict[str, list[Race]]:
    """Races of each real file in `folder` (a copy of shared/real_kra), by file name."""
    readers = dict(zip(REAL_FILES, (read_coyasong, read_gamhu), strict=True))
    return {name: reader(folder / name) for name, reader in readers.items()}
