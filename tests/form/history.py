"""A race store with a known history: simulator-made Jeju race days written through the store's
own write function (no HTTP, no Dagster), so form tests stay fast and deterministic."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine

from kra_pipeline.races.models import Race, RaceEntrant, group_races
from kra_pipeline.store.race_days import replace_collected_race_day
from kra_simulator.world import SimulatedWorld

# Results exist for every day before TODAY; Jeju alone keeps the history small but long enough
# (13 months) for the 365-day windows of late March 2025 to cut off the first weeks.
TODAY = "20250601"
MEET = 2
FIRST_DAY, LAST_DAY, EXTRA_LAST_DAY = "20240301", "20250331", "20250410"
MONTH = ("20250301", "20250331")

RaceDays = dict[tuple[str, int], list[Race]]


def simulated_race_days(start: str, end: str, meet: int = MEET) -> RaceDays:
    """The races of every race day of `meet` from `start` to `end`, as the pipeline types them."""
    world = SimulatedWorld(today=TODAY)
    return {
        (day, m): group_races(RaceEntrant.from_item(item) for item in world.race_day_items(m, day))
        for day, m in world.race_days(start, end)
        if m == meet
    }


def write_race_days(engine: Engine, days: RaceDays) -> None:
    for (day, meet), races in days.items():
        replace_collected_race_day(engine, day, meet, races)


def copy_store(source: Path, target: Path) -> str:
    """A SQLite URL of a private copy of a store file (tests that change the store use one)."""
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"
