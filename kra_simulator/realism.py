"""How sharp a racing world's market is: the figures that tell real racing from noise.

One computation for the simulator and for real KRA results, so the bands a test holds the
simulator to are checked against reality with the same arithmetic. A race is plain data: the
(final win odds, finishing position) of each runner; runners without odds (scratched, no price)
are left out, and a race counts only with two priced runners and one priced winner. The market's
chance is the normalised 1/odds.

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
from typing import Any

Race = list[tuple[float, int]]  # (final win odds, finishing position) per runner

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
        }


def outside_bands(figures: MarketFigures) -> list[str]:
    """The figures of `figures` outside REAL_RACING_BANDS, each as 'name value not in [lo, hi]'."""
    misses = []
    for name, (low, high) in REAL_RACING_BANDS.items():
        value = getattr(figures, name)
        if not low <= value <= high:
            misses.append(f"{name} {value:.3f} not in [{low}, {high}]")
    return misses


def market_figures(races: Iterable[Race]) -> MarketFigures:
    """The market's figures over `races`; raises if none of them can be scored."""
    market, uniform, favourite, top3, overround, field = [], [], [], [], [], []
    for race in races:
        priced = [(odds, position) for odds, position in race if odds > 0]
        winners = [odds for odds, position in priced if position == 1]
        if len(priced) < 2 or len(winners) != 1:
            continue
        inverse = [1 / odds for odds, _ in priced]
        total = sum(inverse)
        winner = winners[0]
        shortest = min(odds for odds, _ in priced)
        market.append(-math.log(1 / winner / total))
        uniform.append(math.log(len(priced)))
        ties = sum(odds == shortest for odds, _ in priced)
        favourite.append(1 / ties if winner == shortest else 0.0)
        top3.append(sum(odds < winner for odds, _ in priced) < 3)
        overround.append(total)
        field.append(len(priced))
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
    )


def races_from_items(items: Iterable[dict]) -> list[Race]:
    """Races from API214_1-shaped items (`rcDate`, `meet`, `rcNo`, `winOdds`, `ord`)."""
    races: dict[tuple, Race] = {}
    for item in items:
        key = (item["rcDate"], item["meet"], item["rcNo"])
        races.setdefault(key, []).append((float(item["winOdds"]), int(item["ord"])))
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
            horses = json.loads(line)["horses"]
            races.append(
                [(float(h["result"]["win_odds"] or 0), int(h["result"]["ord"])) for h in horses]
            )
    return races


def read_gamhu(path: Path) -> list[Race]:
    """The 2026 Seoul file: one runner per row, API names `rcDate, rcNo, winOdds, ord`."""
    races: dict[tuple[str, str], Race] = {}
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            runner = (float(row["winOdds"] or 0), int(float(row["ord"] or 0)))
            races.setdefault((row["rcDate"], row["rcNo"]), []).append(runner)
    return list(races.values())


def real_races(folder: Path) -> dict[str, list[Race]]:
    """Races of each real file in `folder` (a copy of shared/real_kra), by file name."""
    readers = dict(zip(REAL_FILES, (read_coyasong, read_gamhu), strict=True))
    return {name: reader(folder / name) for name, reader in readers.items()}
