"""Leakage: the form of race day D depends on the days before D and on nothing after it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.form import point_in_time_form, race_day_entrants
from kra_pipeline.store.race_days import replace_collected_race_day
from tests.form.history import LAST_DAY, MEET, RaceDays, copy_store, write_race_days

DAY = "20250315"


def form_of_day(engine: Engine, race_date: str) -> pd.DataFrame:
    """What the entrant_form asset computes for a race day."""
    return point_in_time_form(engine, race_day_entrants(engine, race_date, MEET))


@pytest.fixture
def store(history_file: Path, tmp_path: Path) -> Engine:
    engine = get_engine(copy_store(history_file, tmp_path / "races.sqlite"))
    yield engine
    dispose_engines()


def test_adding_or_deleting_every_day_after_d_leaves_its_form_identical(
    store: Engine, race_days: RaceDays
) -> None:
    later = sorted(key for key in race_days if key[0] > DAY)
    day = sorted(key for key in race_days if key[0] <= DAY)[-1][0]
    before = form_of_day(store, day)
    assert len(before) > 50 and before["horse_starts"].notna().mean() > 0.9

    for race_date, meet in later:  # delete every day after D that the store holds
        if race_date <= LAST_DAY:
            replace_collected_race_day(store, race_date, meet, [])
    pd.testing.assert_frame_equal(form_of_day(store, day), before)

    # add every day after D, and more days beyond the original store
    write_race_days(store, {key: race_days[key] for key in later})
    pd.testing.assert_frame_equal(form_of_day(store, day), before)


def test_changing_a_day_before_d_does_change_its_form(store: Engine, race_days: RaceDays) -> None:
    """The check above cannot pass by accident: the form does read the earlier days."""
    earlier = sorted(key for key in race_days if key[0] < DAY)
    day = sorted(key for key in race_days if key[0] <= DAY)[-1][0]
    before = form_of_day(store, day)
    replace_collected_race_day(store, *earlier[-1], [])
    after = form_of_day(store, day)
    assert not after.equals(before)
    assert (after["horse_starts"].fillna(0) < before["horse_starts"].fillna(0)).any()
