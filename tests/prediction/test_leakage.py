"""Leakage guards on a small simulated store replayed on the clock it would have run on.

Jeju race days are stored as the pipeline would have stored them (each day's results at 21:30
KST that evening); race day T (Saturday 2025-03-08) is predicted from its entry sheet first
seen on Friday 18:00 (API9_1 scratches known at 18:05), before Friday's races are collected at
21:30, and from its morning card collected on Saturday 09:30; its results come that evening,
the next week's after. Each guard was checked by breaking the code once (see the note).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from kra_pipeline.contract import KST, CardKind
from kra_pipeline.dataset import entrants
from kra_pipeline.dataset.schema import RESULT
from kra_pipeline.form.columns import FORM_COLUMNS
from kra_pipeline.kra.upcoming import parse_entry_sheet
from kra_pipeline.prediction.cards import CARD_AT, serving_card
from kra_pipeline.prediction.features import FEATURES, LeakedFeature, feature_matrix, runners
from kra_pipeline.prediction.model import RaceModel, predict, train
from kra_pipeline.prediction.track_record import track_record
from kra_pipeline.races.models import Race
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.predictions import load_predictions, store_predictions
from kra_pipeline.store.race_days import replace_collected_race_day
from kra_pipeline.store.scratches import replace_scratches
from kra_pipeline.store.upcoming import keep_first_seen
from kra_simulator.world import SimulatedWorld
from tests.form.history import MEET, TODAY, simulated_race_days

FIRST, TRAIN_UNTIL, PREVIOUS, DAY, NEXT = "20250131", "20250228", "20250307", "20250308", "20250314"
KEY = ["race_no", "gate_no"]


def _at(day: str, clock: str) -> datetime:
    return datetime.strptime(f"{day} {clock}", "%Y%m%d %H:%M").replace(tzinfo=KST)


def _collect(engine: Engine, day: str, races: list[Race], clock: str = "21:30") -> None:
    replace_collected_race_day(engine, day, MEET, races, collected_at=_at(day, clock))


def _before_the_off(races: list[Race]) -> list[Race]:
    """The day's races as KRA lists them in the morning: the card without any result."""
    blank = {"finish_position": None, "finish_time": None}
    return [
        race.model_copy(update={"entrants": [e.model_copy(update=blank) for e in race.entrants]})
        for race in races
    ]


def _scrambled(races: list[Race]) -> list[Race]:
    """Every race's finishing order rotated by one place: the winner is someone else."""
    out = []
    for race in races:
        placed = [e for e in race.entrants if e.finish_position is not None]
        moved = [p.finish_position for p in placed[1:] + placed[:1]]
        new = {
            id(e): e.model_copy(update={"finish_position": m})
            for e, m in zip(placed, moved, strict=True)
        }
        field = [new.get(id(e), e) for e in race.entrants]
        out.append(race.model_copy(update={"entrants": field}))
    return out


class Replay:
    def __init__(self, engine: Engine, days: dict[str, list[Race]], model: RaceModel) -> None:
        self.engine, self.days, self.model = engine, days, model
        self.stored = load_predictions(engine, DAY, MEET)
        # The day's cards once everything is stored (tests that rewrite results restore them).
        self.cards = {kind: serving_card(engine, DAY, MEET, kind) for kind in CardKind}


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    days = {d: races for (d, _), races in simulated_race_days(FIRST, NEXT).items()}
    path = Path(tmp_path_factory.mktemp("leakage")) / "races.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    for day, races in days.items():
        if day < PREVIOUS:
            _collect(engine, day, races)
    world = SimulatedWorld(today=TODAY)
    sheet = parse_entry_sheet(world.entry_sheet_items(MEET, DAY))
    keep_first_seen(engine, DAY, MEET, sheet, seen_at=_at(PREVIOUS, "18:00"))
    scratches = world.scratch_items(MEET, DAY)
    assert scratches, "the simulated day must have a scratch for the guards to mean anything"
    replace_scratches(engine, DAY, MEET, scratches, fetched_at=_at(PREVIOUS, "18:05"))
    history = entrants(FIRST, TRAIN_UNTIL, [MEET], form=True, engine=engine)
    model = train(history, fingerprint=False)
    _predict(engine, model, CardKind.SHEET)  # Friday evening, before Friday's races are in
    _collect(engine, PREVIOUS, days[PREVIOUS])
    _collect(engine, DAY, _before_the_off(days[DAY]), clock="09:30")
    _predict(engine, model, CardKind.MORNING)  # Saturday morning
    _collect(engine, DAY, days[DAY])
    _collect(engine, NEXT, days[NEXT])
    yield Replay(engine, days, model)
    dispose_engines()


def _predict(engine: Engine, model: RaceModel, kind: str) -> None:
    card = serving_card(engine, DAY, MEET, kind)
    store_predictions(engine, DAY, MEET, predict(model, card), card=kind,
                      card_at=card.attrs[CARD_AT], model_version="test")  # fmt: skip


def _form(card: pd.DataFrame) -> pd.DataFrame:
    return card.sort_values(KEY)[[*KEY, "horse_no", *FORM_COLUMNS]].reset_index(drop=True)


def test_no_form_value_depends_on_the_days_own_results(replay: Replay) -> None:
    """Form is from earlier days only: rotating every finishing order of the day (its own
    winners included) leaves the form of each of its cards exactly as it was."""
    before = replay.cards
    assert before[CardKind.FINAL]["horse_starts"].notna().any()
    _collect(replay.engine, DAY, _scrambled(replay.days[DAY]), clock="22:00")
    try:
        for kind in CardKind:
            after = serving_card(replay.engine, DAY, MEET, kind)
            pd.testing.assert_frame_equal(_form(after), _form(before[kind]), obj=kind)
    finally:
        _collect(replay.engine, DAY, replay.days[DAY])


@pytest.mark.parametrize(
    ("kind", "later"),
    [(CardKind.SHEET, (PREVIOUS, DAY, NEXT)), (CardKind.MORNING, (DAY, NEXT))],
)
def test_results_stored_later_never_change_a_pre_race_prediction(
    replay: Replay, kind: str, later: tuple[str, ...]
) -> None:
    """Predict, then rewrite the results of every day stored after the card was seen (for the
    sheet: the previous evening's, the day's own, the next week's): recomputing the card as of
    when its prediction was made gives the stored probabilities back, to the last digit."""
    made = replay.stored[replay.stored["card"] == kind]
    assert len(made) and not made["results_existed"].any()
    for day in later:
        _collect(replay.engine, day, _scrambled(replay.days[day]), clock="23:00")
    try:
        card = serving_card(replay.engine, DAY, MEET, kind, as_of=made["made_at"].iloc[0])
        assert card.attrs[CARD_AT] == made["card_at"].iloc[0]
        again = predict(replay.model, card).sort_values(KEY).reset_index(drop=True)
        made = made.sort_values(KEY).reset_index(drop=True)
        assert again[KEY].equals(made[KEY].astype(again[KEY].dtypes))
        assert again["win_probability"].to_numpy() == pytest.approx(
            made["win_probability"].to_numpy(), rel=1e-12, abs=1e-15
        )
    finally:
        for day in later:
            _collect(replay.engine, day, replay.days[day])


def test_the_sheet_knows_nothing_of_the_evening_before(replay: Replay) -> None:
    """Friday's results came at 21:30, after the 18:00 sheet: a horse that ran on Friday has
    one start more in the morning card's form than in the sheet's, every other horse the same."""
    sheet, morning = _form(replay.cards[CardKind.SHEET]), _form(replay.cards[CardKind.MORNING])
    friday = entrants(PREVIOUS, PREVIOUS, [MEET], engine=replay.engine)
    ran = set(friday.loc[~friday["is_scratched"], "horse_no"])
    on_both = sheet.merge(morning, on=[*KEY, "horse_no"], suffixes=("_sheet", "_morning"))
    more = on_both["horse_starts_morning"].fillna(0) - on_both["horse_starts_sheet"].fillna(0)
    expected = on_both["horse_no"].isin(ran).astype(int)
    assert expected.any() and (more.to_numpy() == expected.to_numpy()).all()


def test_a_post_race_field_is_refused_as_a_feature(replay: Replay) -> None:
    card = replay.cards[CardKind.FINAL]
    for leaked in (*(name for name, *_ in RESULT), "win_odds", "place_odds", "ord", "rcTime"):
        with pytest.raises(LeakedFeature, match=leaked):
            feature_matrix(card.assign(**{leaked: 1}), (*FEATURES, leaked))
        with pytest.raises(LeakedFeature, match=leaked):
            train(card, features=(*FEATURES, leaked), fingerprint=False)
    for kind in (CardKind.SHEET, CardKind.MORNING):  # pre-race cards hold no result or price
        pre_race = replay.cards[kind]
        post = [*(name for name, *_ in RESULT), "win_odds", "place_odds"]
        assert pre_race[post].isna().all().all(), kind
        assert not pre_race["is_finished"].any(), kind


def test_a_scratched_runner_of_the_sheet_gets_no_probability(replay: Replay) -> None:
    sheet = replay.cards[CardKind.SHEET]
    scratched = sheet.loc[sheet["is_scratched"], KEY]
    assert len(scratched) and sheet.loc[sheet["is_scratched"], "scratch_reason"].notna().all()
    stored = replay.stored[replay.stored["card"] == CardKind.SHEET]
    gates = set(zip(stored["race_no"], stored["gate_no"], strict=True))
    assert not gates & set(zip(scratched["race_no"], scratched["gate_no"], strict=True))
    assert stored.groupby("race_no")["win_probability"].sum().to_numpy() == pytest.approx(1)


def test_evaluation_and_serving_build_the_same_feature_rows(replay: Replay) -> None:
    """The rows walk-forward evaluation reads for the day (`dataset.entrants` over a range)
    and the served cards give the same features: the final card exactly, the morning card too
    (its form had every earlier result by 09:30 and it has the day's body weights)."""
    evaluated = entrants(FIRST, NEXT, [MEET], form=True, engine=replay.engine)
    evaluated = runners(evaluated[evaluated["race_date"] == pd.Timestamp(DAY)])
    expected = feature_matrix(evaluated).set_index(evaluated[KEY].to_numpy().T.tolist())
    for kind in (CardKind.FINAL, CardKind.MORNING):
        served = runners(replay.cards[kind])
        rows = feature_matrix(served).set_index(served[KEY].to_numpy().T.tolist())
        pd.testing.assert_frame_equal(rows.sort_index(), expected.sort_index(), obj=kind)


def test_the_track_record_scores_only_pre_race_predictions(replay: Replay) -> None:
    record = track_record(replay.engine, PREVIOUS, NEXT)
    overall = record["overall"]
    assert set(overall["card"]) == {CardKind.SHEET, CardKind.MORNING}
    races = overall[overall["metric"] == "log_loss"].set_index(["card", "predictor"])["races"]
    day_races = len(replay.days[DAY])
    assert (races == day_races).all()  # model, uniform and the market on the same races
    assert set(record["weeks"]["week"]) == {"2025-03-03"}
