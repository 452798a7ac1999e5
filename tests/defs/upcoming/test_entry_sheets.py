"""Upcoming race days: the entry sheet (API26_2) gives the card two days ahead, it is kept as
first seen through later sheets, the real card and the results, and a key without API26_2
loses only this source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from dagster import build_schedule_context, instance_for_test, materialize

from kra_api.services.launcher import collection_job
from kra_pipeline import contract as c
from kra_pipeline.contract import (
    KST,
    InvalidRaceDay,
    kst_today,
    race_day_partition_key,
)
from kra_pipeline.defs.race_days import collected_race_day, raw_race_day
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.partitions import race_day_partitions
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.defs.upcoming import assets as entry_sheets
from kra_pipeline.defs.upcoming.assets import evening_entry_sheets, upcoming_entry_sheet
from kra_pipeline.kra import upcoming as kra_upcoming
from kra_pipeline.races.fields import HORSE_ID_WIDTH, normalise_id
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import load_collected_race_day
from kra_pipeline.store.upcoming import load_first_seen
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer
from kra_simulator.world import SimulatedWorld

# The asset's "today", fixed so the calendar ahead is known: a Wednesday, with the Friday
# sheets out (two days ahead) and Saturday's not yet.
TODAY = dt.date(2025, 6, 4)


@pytest.fixture(autouse=True)
def _asset_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_sheets, "kst_today", lambda: TODAY)


def _day(ahead: int, today: dt.date = TODAY) -> str:
    return (today + dt.timedelta(days=ahead)).strftime(c.DATE_FORMAT)


def _racing_two_days_ahead() -> tuple[str, int]:
    """A meet with racing one or two days ahead in the simulated world (sheets are out)."""
    world = SimulatedWorld(today=_day(0))
    for race_date, meet in world.race_days(_day(1), _day(2)):
        return race_date, meet
    pytest.fail("the simulated calendar has no racing in the next two days")


def _point_at(server: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    monkeypatch.setenv("KRA_HISTORY_SOURCE", "day")


def _run(assets: list, key: str, instance):
    return materialize(
        assets, partition_key=key, instance=instance, resources=default_resources(),
        raise_on_error=False,
    )  # fmt: skip


def test_the_card_two_days_ahead_is_kept_as_first_seen_through_the_results(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    race_date, meet = _racing_two_days_ahead()
    key = f"{race_date}|{meet}"
    before = start_kra_simulator(today=_day(0))
    _point_at(before, monkeypatch)
    sheet = before.world.entry_sheet_items(meet, race_date)
    with instance_for_test() as instance:
        first = _run([upcoming_entry_sheet], key, instance)
        assert first.success
        metadata = first.get_asset_materialization_events()[0].materialization.metadata
        assert (
            metadata[names.ENTRY_COUNT].value
            == metadata[names.FIRST_SEEN_COUNT].value
            == len(sheet)
            > 0
        )
        assert metadata[c.API_CALLS].value == 1
        engine = get_engine()
        card = load_first_seen(engine, race_date, meet)
        assert [(r["race_no"], r["gate_no"], r["horse_no"]) for r in card] == sorted(
            (i["rcNo"], i["chulNo"], normalise_id(i["hrNo"], HORSE_ID_WIDTH)) for i in sheet
        )
        assert all(r["post_time"] and ":" in r["post_time"] for r in card)
        assert card[0]["raw"]["rcCntT"] == sheet[0]["rcCntT"]  # the snapshot, kept whole

        again = _run([upcoming_entry_sheet], key, instance)
        metadata = again.get_asset_materialization_events()[0].materialization.metadata
        assert metadata[names.FIRST_SEEN_COUNT].value == 0

        # The day is run: a world where it is over serves the real card with its results.
        after = start_kra_simulator(today=(dt.date.fromisoformat(
            f"{race_date[:4]}-{race_date[4:6]}-{race_date[6:]}") + dt.timedelta(days=1)
        ).strftime(c.DATE_FORMAT))  # fmt: skip
        _point_at(after, monkeypatch)
        collected = _run([raw_race_day, collected_race_day], key, instance)
        assert collected.success
    stored = load_collected_race_day(engine, race_date, meet)
    assert stored and all(race.is_finished for race in stored)
    kept = load_first_seen(engine, race_date, meet)
    assert [{k: v for k, v in r.items() if k != "last_seen_at"} for r in kept] == [
        {k: v for k, v in r.items() if k != "last_seen_at"} for r in card
    ]


def test_an_unpublished_or_past_sheet_is_nothing_and_a_refusal_spares_the_race_day(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_kra_simulator(today=_day(0), refused_apis=())
    _point_at(server, monkeypatch)
    with instance_for_test() as instance:
        ahead = _run([upcoming_entry_sheet], f"{_day(c.UPCOMING_DAYS)}|1", instance)
        metadata = ahead.get_asset_materialization_events()[0].materialization.metadata
        assert metadata[names.ENTRY_COUNT].value == 0 and metadata[c.API_CALLS].value == 1
        past = _run([upcoming_entry_sheet], f"{_day(-7)}|1", instance)
        metadata = past.get_asset_materialization_events()[0].materialization.metadata
        assert metadata[c.API_CALLS].value == 0
    assert server.stats.calls[kra_upcoming.ENTRY_SHEET_API] == 1

    refusing = start_kra_simulator(today=_day(0), refused_apis=(kra_upcoming.ENTRY_SHEET_API,))
    _point_at(refusing, monkeypatch)
    race_date, meet = _racing_two_days_ahead()
    with instance_for_test() as instance:
        result = _run(
            [raw_race_day, collected_race_day, upcoming_entry_sheet],
            f"{race_date}|{meet}",
            instance,
        )
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failures] == [names.ENTRY_SHEET_ASSET]
    assert "Apply for API26_2" in str(failures[0].event_specific_data.error)
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert done == {c.RAW_ASSET, c.COLLECTED_ASSET}


def test_the_partitions_and_the_rest_api_reach_three_days_ahead_and_no_further() -> None:
    today = kst_today()  # the real one: partitions and launches go by the clock
    assert race_day_partition_key(_day(c.UPCOMING_DAYS, today), 1)
    with pytest.raises(InvalidRaceDay, match="3 days after it"):
        race_day_partition_key(_day(c.UPCOMING_DAYS + 1, today), 1)
    # The REST side's pure check and Dagster's partitions agree at both ends.
    first = dt.datetime.strptime(c.FIRST_RACE_DATE, c.DATE_FORMAT).date()
    for day in (first - dt.timedelta(days=1), first, *(_day(n, today) for n in (0, 3, 4))):
        race_date = day if isinstance(day, str) else day.strftime(c.DATE_FORMAT)
        for meet in (*c.MEET_CODES, 4):
            key = c.race_day_key_text(race_date, meet)
            try:
                race_day_partition_key(race_date, meet)
                valid = True
            except InvalidRaceDay:
                valid = False
            assert valid == race_day_partitions.has_partition_key(key), key
    assert collection_job(True, _day(1, today)) == c.COLLECT_UPCOMING_JOB
    assert collection_job(True, _day(0, today)) == c.COLLECT_WITH_ENRICHMENT_JOB


def test_the_evening_schedule_asks_for_the_next_days_of_every_meet() -> None:
    evening = dt.datetime(2025, 6, 4, 18, 0, tzinfo=KST)
    requests = list(evening_entry_sheets(build_schedule_context(scheduled_execution_time=evening)))
    assert sorted(str(r.partition_key) for r in requests) == sorted(
        f"{day}|{meet}" for day in ("20250605", "20250606", "20250607") for meet in (1, 2, 3)
    )
