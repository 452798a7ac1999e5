"""`kra_pipeline.dataset`: typed frames, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine

from kra_pipeline.dataset import entrants, races
from kra_pipeline.dataset.schema import entrant_columns
from kra_pipeline.form.compute import compute_form
from kra_pipeline.races.fields import split_track
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.form import history_query, read_history
from kra_pipeline.store.scratches import replace_scratches
from kra_simulator.world import SimulatedWorld
from tests.form.history import TODAY, RaceDays, simulated_race_days, write_race_days

SPAN = ("20241220", "20250112")  # across a new year: two chunks


@pytest.fixture(scope="module")
def days() -> RaceDays:
    return {
        key: races
        for meet in (1, 2)
        for key, races in simulated_race_days(*SPAN, meet=meet).items()
    }


@pytest.fixture(scope="module")
def sqlite_store(days: RaceDays, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('frames') / 'races.sqlite'}")
    write_race_days(engine, days)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def postgresql_store(days: RaceDays, postgres_database_url: str) -> Iterator[Engine]:
    engine = get_engine(postgres_database_url)
    write_race_days(engine, days)
    yield engine
    dispose_engines()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(f"{request.param}_store")


def test_entrants_have_the_documented_types(store: Engine) -> None:
    frame = entrants(*SPAN, engine=store, enrichment=True, form=True)
    columns = entrant_columns(results=True, enrichment=True, form=True)
    assert list(frame.columns) == [name for name, *_ in columns]
    assert str(frame["race_date"].dtype) == "datetime64[ns]"
    assert isinstance(frame["meet"].dtype, pd.CategoricalDtype)
    assert list(frame["meet"].cat.categories) == [1, 2, 3]
    for name, kind, *_ in columns:
        if kind in ("Int64", "Float64", "string", "bool"):
            assert str(frame[name].dtype) == kind, name
    assert frame["horse_no"].str.len().eq(7).all()
    assert frame["is_scratched"].any()
    assert frame["race_date"].min() == pd.Timestamp(SPAN[0]) or frame[
        "race_date"
    ].min() > pd.Timestamp(SPAN[0])


def test_form_in_the_frame_is_the_point_in_time_form(store: Engine) -> None:
    frame = entrants("20250101", SPAN[1], meets=[2], engine=store, form=True)
    history = read_history(store, history_query(SPAN[1]))
    chosen = history[(history["race_date"] >= "20250101") & (history["meet"] == 2)]
    expected = compute_form(history, chosen)
    assert len(frame) == len(expected) > 0
    pd.testing.assert_series_equal(
        frame["horse_starts"], expected["horse_starts"], check_names=False
    )
    assert set(frame["meet"]) == {2}


def test_races_and_an_empty_range(store: Engine) -> None:
    listed = races(*SPAN, engine=store)
    assert len(listed) == listed[["race_date", "meet", "race_no"]].drop_duplicates().shape[0] > 0
    assert str(listed["distance"].dtype) == "Int64"
    empty = entrants("20300101", "20300131", engine=store, form=True)
    assert empty.empty
    assert list(empty.columns) == [n for n, *_ in entrant_columns(True, False, True)]
    assert str(empty["horse_starts"].dtype) == "Int64"


def test_bad_dates_say_what_to_write(store: Engine) -> None:
    with pytest.raises(ValueError, match="YYYYMMDD"):
        entrants("2025-01-01", "20250131", engine=store)
    with pytest.raises(ValueError, match="swap"):
        entrants("20250131", "20250101", engine=store)


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_frame(
    sqlite_store: Engine, postgresql_store: Engine
) -> None:
    a = entrants(*SPAN, engine=sqlite_store, form=True)
    pd.testing.assert_frame_equal(a, entrants(*SPAN, engine=postgresql_store, form=True))


def test_entrant_rows_carry_the_scratch_reason_and_the_parsed_track(
    days: RaceDays, tmp_path: object
) -> None:
    engine = get_engine(f"sqlite:///{tmp_path}/extras.sqlite")
    write_race_days(engine, days)
    race_date, meet = min(days)
    scratches = SimulatedWorld(today=TODAY).scratch_items(meet, race_date)
    assert scratches, "the simulated day should have a scratch"
    replace_scratches(engine, race_date, meet, scratches)
    frame = entrants(race_date, race_date, [meet], engine=engine)
    reasons = {(s["rcNo"], s["chulNo"]): s["reason"] for s in scratches}
    got = {
        (int(row.race_no), int(row.gate_no)): row.scratch_reason
        for row in frame.itertuples()
        if not pd.isna(row.scratch_reason)
    }
    assert got == reasons
    for row in frame.itertuples():
        condition, moisture = split_track(row.track)
        assert (row.track_condition, row.track_moisture) == (condition, moisture)
    day_races = races(race_date, race_date, [meet], engine=engine)
    assert day_races["track_moisture"].dtype == "Int64"
    engine.dispose()
