"""The race model on a year of simulated history: training time, time to predict a race day,
and the walk-forward evaluation beside the uniform and market baselines.

    uv run python benchmarks/race_model.py [--today YYYYMMDD] [--days 365] [--weeks 8] [--seed N]

A SQLite race store is filled from the simulator (every meet, the --days before --today)
through the store's own write function. Targets on the 2-core machine: training on a year
at most 60 s, predicting a race day at most 1 s. Prints figures; never fails on a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd

from kra_pipeline.dataset import entrants
from kra_pipeline.prediction.evaluation import race_scores, summary, walk_forward
from kra_pipeline.prediction.model import predict, train
from kra_pipeline.races.models import RaceEntrant, group_races
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import replace_collected_race_day
from kra_simulator.world import DEFAULT_SEED, SimulatedWorld, seoul_today


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", default=seoul_today())
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    today = dt.datetime.strptime(args.today, "%Y%m%d")
    first = (today - dt.timedelta(days=args.days)).strftime("%Y%m%d")
    last = (today - dt.timedelta(days=1)).strftime("%Y%m%d")

    engine = get_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'races.sqlite'}")
    world = SimulatedWorld(seed=args.seed, today=args.today)
    started = time.perf_counter()
    days = world.race_days(first, last)
    for day, meet in days:
        items = world.race_day_items(meet, day)
        replace_collected_race_day(
            engine, day, meet, group_races(map(RaceEntrant.from_item, items))
        )
    print(f"store: {len(days)} race days {first}..{last}, seed {args.seed}, "
          f"{time.perf_counter() - started:.1f} s to write")  # fmt: skip

    started = time.perf_counter()
    frame = entrants(first, last, form=True, engine=engine)
    print(
        f"frame with point-in-time form: {len(frame)} entrants, "
        f"{time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    model = train(frame)
    print(f"training on a year: {time.perf_counter() - started:.2f} s (target <= 60 s), "
          f"{model.training_races} races, {model.training_rows} runners")  # fmt: skip

    day, meet = days[-1]
    one_day = frame[(frame["race_date"] == pd.Timestamp(day)) & (frame["meet"] == meet)]
    started = time.perf_counter()
    predict(model, one_day)
    print(f"predicting race day {day} meet {meet} ({len(one_day)} entrants): "
          f"{time.perf_counter() - started:.3f} s (target <= 1 s)")  # fmt: skip

    started = time.perf_counter()
    predicted, folds = walk_forward(frame, pd.Timestamp(today), args.weeks)
    print(f"walk-forward: {len(folds)} weekly folds, {time.perf_counter() - started:.1f} s\n")
    table = summary(race_scores(predicted))
    print(table.round(3).to_markdown(index=False))


if __name__ == "__main__":
    main()
