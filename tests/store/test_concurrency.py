"""Race-day partitions run in separate processes: they must share one store without failing."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from kra_pipeline.races.models import Race
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import load_collected_race_day, replace_collected_race_day
from tests.fixtures.postgres import temporary_postgres_database
from tests.store.helpers import SAMPLE_MEET, sample_races

DAYS = ("20250523", "20250524")
ROUNDS = 15


def _for_day(races: list[Race], race_date: str) -> list[Race]:
    return [
        race.model_copy(
            update={
                "race_date": race_date,
                "entrants": [e.model_copy(update={"race_date": race_date}) for e in race.entrants],
            }
        )
        for race in races
    ]


def _collect_repeatedly(url: str, race_date: str, start: Barrier) -> None:
    """One partition's process: migrate on first use, then re-collect its day many times."""
    races = _for_day(sample_races(race_count=3), race_date)
    start.wait()
    engine = get_engine(url)  # both processes race to migrate the empty database
    for round_no in range(ROUNDS):
        subset = {round_no % 3 + 1}
        chosen = [race for race in races if race.race_no in subset]
        replace_collected_race_day(engine, race_date, SAMPLE_MEET, chosen, subset)
        replace_collected_race_day(engine, race_date, SAMPLE_MEET, races)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite'}"
        return
    request.getfixturevalue("postgres_server_url")
    with temporary_postgres_database() as url:
        yield url


def test_two_processes_collecting_different_days_both_succeed(empty_store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(DAYS))
    workers = [
        context.Process(target=_collect_repeatedly, args=(empty_store_url, day, start))
        for day in DAYS
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]

    engine = get_engine(empty_store_url)
    expected = sample_races(race_count=3)
    for day in DAYS:
        assert load_collected_race_day(engine, day, SAMPLE_MEET) == _for_day(expected, day)
    engine.dispose()
