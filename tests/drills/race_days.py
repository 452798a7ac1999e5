"""What every drill checks at the end: the race store holds each race day exactly as KRA has it.

The simulator's world is the ground truth: a partition is complete when its stored races equal
`group_races` of the world's items and every entrant is enriched from the world's registries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dagster import DagsterInstance, ExecuteInProcessResult, materialize
from sqlalchemy import Engine

from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.races.models import (
    EnrichedEntrant,
    HorseDetail,
    JockeyDetail,
    Race,
    RaceEntrant,
    TrainerDetail,
    group_races,
)
from kra_pipeline.store.enriched import load_enriched_race_day
from kra_pipeline.store.race_days import load_collected_race_day
from kra_simulator.world import SimulatedWorld

# June 2025 lies in the past of this world, so its race days carry results.
TODAY = "20250701"
BACKFILL_FIRST, BACKFILL_LAST = "20250601", "20250614"
MEETS = (1, 2, 3)


def calendar_days(first: str, last: str) -> list[str]:
    """Every date from `first` to `last` (YYYYMMDD), racing or not, as a backfill covers them."""
    day = dt.datetime.strptime(first, "%Y%m%d").date()
    stop = dt.datetime.strptime(last, "%Y%m%d").date()
    every: list[str] = []
    while day <= stop:
        every.append(day.strftime("%Y%m%d"))
        day += dt.timedelta(days=1)
    return every


def backfill_partitions(first: str = BACKFILL_FIRST, last: str = BACKFILL_LAST) -> list[str]:
    """Partition keys (`date|meet`) of every date × meet in the range, like a UI backfill."""
    return [f"{day}|{meet}" for day in calendar_days(first, last) for meet in MEETS]


def split(key: str) -> tuple[str, int]:
    race_date, meet = key.split("|")
    return race_date, int(meet)


def materialize_race_day(
    instance: DagsterInstance, key: str, *, raise_on_error: bool = True, **resources: Any
) -> ExecuteInProcessResult:
    """Run the three real race-day assets for one partition, as the collect_races job does."""
    return materialize(
        race_day_assets,
        partition_key=key,
        instance=instance,
        resources={**default_resources(), **resources},
        raise_on_error=raise_on_error,
    )


def expected_races(world: SimulatedWorld, race_date: str, meet: int) -> list[Race]:
    return group_races(
        [RaceEntrant.from_item(item) for item in world.race_day_items(meet, race_date)]
    )


def expected_enrichment(world: SimulatedWorld, races: list[Race]) -> list[EnrichedEntrant]:
    """Every entrant joined with the world's horse, jockey and trainer records."""
    rows = []
    for race in races:
        for entrant in race.entrants:
            horse = world.horse_item(entrant.horse_no)
            jockey = world.jockey_item(entrant.jockey_no)
            trainer = world.trainer_item(entrant.trainer_no)
            rows.append(
                EnrichedEntrant.build(
                    entrant,
                    HorseDetail.from_item(horse) if horse else None,
                    JockeyDetail.from_item(jockey) if jockey else None,
                    TrainerDetail.from_item(trainer) if trainer else None,
                )
            )
    return rows


def _order(rows: list[EnrichedEntrant]) -> list[EnrichedEntrant]:
    return sorted(rows, key=lambda row: (row.race_no, row.gate_no))


@dataclass(frozen=True)
class StoredDay:
    """A partition's rows in the store beside what the world says they should be."""

    collected: list[Race]
    expected: list[Race]
    enriched: list[EnrichedEntrant]
    expected_enriched: list[EnrichedEntrant]


def stored_day(engine: Engine, world: SimulatedWorld, key: str) -> StoredDay:
    race_date, meet = split(key)
    expected = expected_races(world, race_date, meet)
    return StoredDay(
        collected=load_collected_race_day(engine, race_date, meet),
        expected=expected,
        enriched=_order(load_enriched_race_day(engine, race_date, meet)),
        expected_enriched=_order(expected_enrichment(world, expected)),
    )


def race_day_problems(engine: Engine, world: SimulatedWorld, key: str) -> list[str]:
    """Why the stored partition differs from the world (empty when complete and exact)."""
    day = stored_day(engine, world, key)
    entrants = sum(len(r.entrants) for r in day.expected)
    problems = []
    if day.collected != day.expected:
        problems.append(
            f"{key}: {len(day.collected)} stored races vs {len(day.expected)} in the world "
            f"({sum(len(r.entrants) for r in day.collected)} vs {entrants} entrants)"
        )
    if day.enriched != day.expected_enriched:
        missing = sum(1 for row in day.enriched if row.missing_details)
        problems.append(
            f"{key}: {len(day.enriched)} enriched rows ({missing} with missing details) vs "
            f"{entrants} entrants"
        )
    return problems


def partial_stages(engine: Engine, world: SimulatedWorld, key: str) -> list[str]:
    """The stages of the day holding rows that are not exactly the world's.

    Each stage stores its rows in one transaction, so a fault may leave a stage empty, for
    example collected rows with no enrichment yet. It must never leave a stage partial.
    """
    day = stored_day(engine, world, key)
    partial = []
    if day.collected and day.collected != day.expected:
        partial.append("collected")
    if day.enriched and day.enriched != day.expected_enriched:
        partial.append("enriched")
    return partial


def has_no_rows(engine: Engine, key: str) -> bool:
    race_date, meet = split(key)
    return not load_collected_race_day(engine, race_date, meet) and not load_enriched_race_day(
        engine, race_date, meet
    )
