"""How sharp the simulated world's market is beside real KRA races (issue 22, last part).

    uv run python benchmarks/market_realism.py [--seeds 20250608 7 123] [--real ../shared/real_kra]

For each seed, six months of every meet (20250101..20250630 with today 20250701, the span the
test uses, and 20260101..20260630 with today 20261204); then each real file. Prints a markdown
table: the market's figures (kra_simulator/realism.py, the test's own arithmetic) and the bands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kra_simulator.realism import (
    REAL_FILES,
    REAL_RACING_BANDS,
    MarketFigures,
    market_figures,
    real_races,
    simulated_races,
)
from kra_simulator.world import DEFAULT_SEED, SimulatedWorld

SPANS = (("20250101", "20250630", "20250701"), ("20260101", "20260630", "20261204"))
COLUMNS = (
    ("races", "races", "{:,}"),
    ("market −log p(winner)", "market_log_loss", "{:.3f}"),
    ("rating-only", "rating_log_loss", "{:.3f}"),
    ("uniform", "uniform_log_loss", "{:.3f}"),
    ("pseudo-R²", "pseudo_r2", "{:.3f}"),
    ("favourite wins", "favourite_wins", "{:.1%}"),
    ("winner in 3 shortest", "winner_in_three_shortest", "{:.1%}"),
    ("median overround", "median_overround", "{:.3f}"),
    ("mean field", "mean_field", "{:.2f}"),
)


def row(label: str, figures: MarketFigures) -> str:
    cells = [fmt.format(getattr(figures, attr)) for _, attr, fmt in COLUMNS]
    return f"| {label} | {' | '.join(cells)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[DEFAULT_SEED])
    default_real = Path(__file__).resolve().parents[1].parent / "shared" / "real_kra"
    parser.add_argument("--real", type=Path, default=default_real)
    args = parser.parse_args()

    print("## Market realism: simulated vs real KRA races\n")
    print(f"| source | {' | '.join(name for name, _, _ in COLUMNS)} |")
    print(f"|---|{'---|' * len(COLUMNS)}")
    for seed in args.seeds:
        for first, last, today in SPANS:
            world = SimulatedWorld(seed=seed, today=today)
            label = f"simulator seed {seed}, {first}..{last}"
            print(row(label, market_figures(simulated_races(world, first, last))), flush=True)
    if all((args.real / name).is_file() for name in REAL_FILES):
        for name, races in real_races(args.real).items():
            print(row(f"real: {name}", market_figures(races)))
    else:
        print(f"| real files not found in {args.real} (--real DIR) |")
    bands = ", ".join(f"{name} {low}–{high}" for name, (low, high) in REAL_RACING_BANDS.items())
    print(f"\nBands the test holds the simulator and the real files to: {bands}.")


if __name__ == "__main__":
    main()
