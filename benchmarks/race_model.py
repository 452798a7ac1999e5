"""The race model on simulated history, replayed on the clock it would have run on: training
time on a year, time to predict a race day, and walk-forward per card kind beside uniform, the
market and the market's second stage, with bootstrap 95% intervals over races.

    uv run python benchmarks/race_model.py [--today YYYYMMDD] [--days 560] [--weeks 26]
        [--seed N] [--cards sheet morning final] [--draws 1000]

A SQLite race store is filled from the simulator (every meet, the --days before --today) the
way the pipeline stores it: each day's entry sheet first seen at 18:00 KST the evening before
with the API9_1 scratches at 18:05, the race day's card collected at 09:30 without results,
its results at 21:30. Each card kind is then served as it was at its time (sheet: the evening
before at 18:10; morning: 09:40; final: the collected card) and scored against the results.
Training is always on the collected results before the week. Targets on the 2-core machine:
training on a year at most 60 s, predicting a race day at most 1 s. Prints figures; never
fails on a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd

from kra_pipeline.contract import KST, CardKind
from kra_pipeline.dataset import entrants
from kra_pipeline.kra.upcoming import parse_entry_sheet
from kra_pipeline.prediction.cards import serving_card
from kra_pipeline.prediction.evaluation import PREDICTORS, walk_forward, with_baselines
from kra_pipeline.prediction.market import SECOND_STAGE, second_stage, win_pool_returns
from kra_pipeline.prediction.model import predict, train
from kra_pipeline.prediction.scoring import log_loss_gain, scorecard
from kra_pipeline.races.models import Race, RaceEntrant, group_races
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import replace_collected_race_day
from kra_pipeline.store.scratches import replace_scratches
from kra_pipeline.store.upcoming import keep_first_seen
from kra_simulator.world import DEFAULT_SEED, SimulatedWorld, seoul_today

SERVED_AT = {CardKind.SHEET: (-1, "18:10"), CardKind.MORNING: (0, "09:40")}
SHOWN = ("log_loss", "calibration_slope", "calibration_intercept", "brier", "top1",
         "winner_in_top3", "exact_trio")  # fmt: skip


def _at(day: str, clock: str, days: int = 0) -> dt.datetime:
    moment = dt.datetime.strptime(f"{day} {clock}", "%Y%m%d %H:%M") + dt.timedelta(days=days)
    return moment.replace(tzinfo=KST)


def _before_the_off(races: list[Race]) -> list[Race]:
    blank = {"finish_position": None, "finish_time": None}
    return [
        race.model_copy(update={"entrants": [e.model_copy(update=blank) for e in race.entrants]})
        for race in races
    ]


def _replay(engine, world: SimulatedWorld, days: list[tuple[str, int]]) -> None:
    for day, meet in days:
        sheet = parse_entry_sheet(world.entry_sheet_items(meet, day))
        keep_first_seen(engine, day, meet, sheet, seen_at=_at(day, "18:00", -1))
        replace_scratches(engine, day, meet, world.scratch_items(meet, day),
                          fetched_at=_at(day, "18:05", -1))  # fmt: skip
        races = group_races(map(RaceEntrant.from_item, world.race_day_items(meet, day)))
        replace_collected_race_day(engine, day, meet, _before_the_off(races),
                                   collected_at=_at(day, "09:30"))  # fmt: skip
        replace_collected_race_day(engine, day, meet, races, collected_at=_at(day, "21:30"))


def _loader(engine, kind: str):
    shift, clock = SERVED_AT.get(kind, (0, "23:59"))
    return lambda day, meet: serving_card(engine, day, meet, kind, as_of=_at(day, clock, shift))


def _report(kind: str, predicted: pd.DataFrame, draws: int) -> None:
    scored = with_baselines(predicted)
    scored[SECOND_STAGE] = second_stage(scored)
    predictors = [*PREDICTORS, SECOND_STAGE]
    card = scorecard(scored, predictors, draws=draws)
    card["figure"] = card.apply(lambda r: f"{r.value:.3f} [{r.low:.3f}, {r.high:.3f}]", axis=1)
    table = card.pivot(index="predictor", columns="metric", values="figure")[list(SHOWN)]
    table.insert(0, "races", card.groupby("predictor")["races"].max())
    print(f"\n#### card: {kind}\n")
    print(table.loc[predictors].to_markdown())
    for name, base in (("model", "uniform"), (SECOND_STAGE, "market")):
        gain = log_loss_gain(scored, name, base, draws=draws)
        print(f"\nlog-likelihood gain per race, {name} over {base}: {gain['value']:.4f} "
              f"[{gain['low']:.4f}, {gain['high']:.4f}] on {gain['races']} races")  # fmt: skip
    returns = win_pool_returns(scored, ["model", SECOND_STAGE])
    print("\nwin pool at final odds (net of the 20% takeout), 1 unit a bet:\n")
    print(returns.round(3).to_markdown(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", default=seoul_today())
    parser.add_argument("--days", type=int, default=560)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--cards", nargs="+", default=[k.value for k in CardKind])
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    cards = " ".join(args.cards)
    print(f"command: uv run python benchmarks/race_model.py --today {args.today} --days "
          f"{args.days} --weeks {args.weeks} --seed {args.seed} --cards {cards}")  # fmt: skip
    today = dt.datetime.strptime(args.today, "%Y%m%d")
    first = (today - dt.timedelta(days=args.days)).strftime("%Y%m%d")
    last = (today - dt.timedelta(days=1)).strftime("%Y%m%d")

    engine = get_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'races.sqlite'}")
    world = SimulatedWorld(seed=args.seed, today=args.today)
    started = time.perf_counter()
    days = world.race_days(first, last)
    _replay(engine, world, days)
    print(f"store: {len(days)} race days {first}..{last}, seed {args.seed}, "
          f"{time.perf_counter() - started:.1f} s to replay")  # fmt: skip

    frame = entrants(first, last, form=True, engine=engine)
    year = frame[frame["race_date"] >= pd.Timestamp(today - dt.timedelta(days=365))]
    started = time.perf_counter()
    model = train(year)
    print(f"training on a year: {time.perf_counter() - started:.2f} s (target <= 60 s), "
          f"{model.training_races} races, {model.training_rows} runners")  # fmt: skip
    day, meet = days[-1]
    one_day = frame[(frame["race_date"] == pd.Timestamp(day)) & (frame["meet"] == meet)]
    started = time.perf_counter()
    predict(model, one_day)
    print(f"predicting race day {day} meet {meet} ({len(one_day)} entrants): "
          f"{time.perf_counter() - started:.3f} s (target <= 1 s)")  # fmt: skip

    for kind in args.cards:
        started = time.perf_counter()
        loader = None if kind == CardKind.FINAL else _loader(engine, kind)
        predicted, folds = walk_forward(frame, pd.Timestamp(today), args.weeks, card=loader)
        print(f"\nwalk-forward on the {kind} card: {len(folds)} weekly folds, "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        _report(kind, predicted, args.draws)


if __name__ == "__main__":
    main()
