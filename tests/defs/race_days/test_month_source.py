"""Past race days from API4_3 month answers: the same collected rows as API214_1 per day, at a
fraction of the calls; refusals and incomplete months fall back per day, and say so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from dagster import instance_for_test, materialize
from sqlalchemy import Engine

from kra_pipeline import contract as c
from kra_pipeline.contract import (
    kst_today,
)
from kra_pipeline.defs.race_days import collected_race_day, raw_race_day
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.history import sources as history_sources
from kra_pipeline.history.sources import RawDay, collect_raw_day
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.races.models import Race, group_races, parse_race_day
from kra_pipeline.store import race_days, race_months
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

MONTH = "202505"
DAYS = [f"{MONTH}{d:02d}" for d in range(1, 32)]
FORTNIGHT = DAYS[:14]  # compared both ways: enough race days of every meet, half the time
MEETS = (1, 2, 3)
# Fields only API214_1 has, so a month-sourced entrant leaves them empty (or out of `raw`).
DAY_ONLY = {"raw", "finish_note"}


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    from kra_simulator import SimulatorConfig

    server = SimulatorServer(SimulatorConfig(seed=7)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def refusing_simulator() -> Iterator[SimulatorServer]:
    from kra_simulator import SimulatorConfig

    server = SimulatorServer(SimulatorConfig(seed=7, refused_apis={"API4_3"})).start()
    yield server
    server.stop()


def client_for(server: SimulatorServer, **settings: Any) -> KraClient:
    return KraClient(
        KraSettings(
            api_base_url=server.base_url,
            api_key=SIMULATOR_API_KEY,
            rate_limit_per_minute=100_000,
            **settings,
        )
    )


def shared(races: list[Race]) -> list[list[dict[str, Any]]]:
    """Every entrant field both sources fill, race by race."""
    return [[e.model_dump(exclude=DAY_ONLY) for e in race.entrants] for race in races]


def collect(
    server: SimulatorServer, engine: Engine, days: list[str], **settings: Any
) -> tuple[dict[tuple[str, int], RawDay], dict[tuple[str, int], list[Race]], int]:
    """Raw days through `collect_raw_day`, then collected through the store; total calls."""
    raws, collected = {}, {}
    with client_for(server, **settings) as client:
        for meet in MEETS:
            for day in days:
                raw = collect_raw_day(client, engine, day, meet)
                races = group_races(parse_race_day(race_days.load_raw_race_day(engine, day, meet)))
                race_days.replace_collected_race_day(engine, day, meet, races)
                raws[day, meet] = raw
                collected[day, meet] = race_days.load_collected_race_day(engine, day, meet)
        return raws, collected, client.stats.total_calls


@pytest.fixture(scope="module")
def per_day(simulator: SimulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('day') / 'races.sqlite'}")
    yield collect(simulator, engine, FORTNIGHT, history_source="day")
    dispose_engines()


def test_month_answers_give_the_rows_api214_gives_for_the_same_days(
    simulator: SimulatorServer, per_day: Any
) -> None:
    engine = get_engine()
    raws, collected, calls = collect(simulator, engine, FORTNIGHT)
    day_raws, day_collected, day_calls = per_day
    assert day_calls == len(FORTNIGHT) * len(MEETS)
    pages = {m: len(race_months.load_raw_race_month(engine, MONTH, m).pages) for m in MEETS}
    assert calls == sum(pages.values())  # one paginated month answer per meet, nothing else
    race_day_count = 0
    for key, races in collected.items():
        assert shared(races) == shared(day_collected[key]), key
        assert [r.model_dump(exclude={"entrants"}) for r in races] == [
            r.model_dump(exclude={"entrants"}) for r in day_collected[key]
        ]
        assert raws[key].source == history_sources.SOURCE_MONTH_API and raws[key].fallback is None
        assert day_raws[key].source == c.SOURCE_DAY_API
        race_day_count += bool(races)
    assert race_day_count == len(simulator.world.race_days(FORTNIGHT[0], FORTNIGHT[-1]))
    # non-starters: API4_3 sends an ord sentinel, API214_1 ord 0; both are "no position"
    entrants = [e for races in collected.values() for r in races for e in r.entrants]
    assert any(e.is_scratched and e.raw["ord"] >= 91 for e in entrants)
    assert all(e.finish_position is None for e in entrants if e.is_scratched)


def test_refused_api4_3_gives_the_same_rows_at_more_calls(
    refusing_simulator: SimulatorServer, per_day: Any
) -> None:
    days = FORTNIGHT[:5]
    raws, collected, calls = collect(refusing_simulator, get_engine(), days)
    _, day_collected, _ = per_day
    for key, races in collected.items():
        assert shared(races) == shared(day_collected[key])
        assert raws[key].source == c.SOURCE_DAY_API
        assert "API4_3 refused (code 20)" in (raws[key].fallback or "")
    # the refusal is learnt once; every day is then asked per day
    assert refusing_simulator.stats.calls["API4_3"] == 1
    assert calls == len(days) * len(MEETS) + 1


def test_an_incomplete_month_falls_back_to_asking_the_day(simulator: SimulatorServer) -> None:
    engine = get_engine()
    with client_for(simulator) as client:
        answer = client.fetch_race_month(1, MONTH)
    first_day = str(answer.items[0]["rcDate"])
    kept = [i for i in answer.items if not (str(i["rcDate"]) == first_day and i["rcNo"] == 2)]
    page = {"response": {"header": {"resultCode": "00"}, "body": {"items": {"item": kept}}}}
    race_months.save_raw_race_month(engine, MONTH, 1, [page], len(kept), 1)
    with client_for(simulator) as client:
        raw = collect_raw_day(client, engine, first_day, 1)
    assert raw.source == c.SOURCE_DAY_API and raw.api_calls == 1
    assert "looks incomplete" in (raw.fallback or "") and "not 1.." in (raw.fallback or "")
    races = group_races(parse_race_day(raw.pages))
    assert [r.race_no for r in races][:3] == [1, 2, 3]


def test_recent_days_and_history_source_day_keep_api214(simulator: SimulatorServer) -> None:
    engine = get_engine()
    recent = (kst_today() - dt.timedelta(days=3)).strftime(c.DATE_FORMAT)
    with client_for(simulator) as client:
        assert collect_raw_day(client, engine, recent, 1).source == c.SOURCE_DAY_API
    with client_for(simulator, history_source="day") as client:
        raw = collect_raw_day(client, engine, DAYS[3], 1)
    assert (raw.source, raw.fallback, raw.api_calls) == (c.SOURCE_DAY_API, None, 1)
    assert race_months.load_raw_race_month(engine, MONTH, 1) is None


def materialized(result: Any) -> dict[str, dict[str, Any]]:
    return {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.metadata.items()}
        for event in result.get_asset_materialization_events()
        for event in [event.event_specific_data.materialization]
    }


def test_raw_partitions_say_their_source_and_cost_no_call_once_the_month_is_stored(
    simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRA_API_BASE_URL", simulator.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    seoul = [d for d, m in simulator.world.race_days(DAYS[0], DAYS[-1]) if m == 1]
    blank = next(d for d in DAYS if d not in seoul)
    metadata = []
    with instance_for_test() as instance:
        for day in (seoul[0], seoul[1], blank):
            result = materialize(
                [raw_race_day, collected_race_day],
                partition_key=f"{day}|1",
                instance=instance,
                resources=default_resources(),
            )
            assert result.success
            metadata.append(materialized(result))
    first, second, empty = (m[c.RAW_ASSET] for m in metadata)
    assert (
        first[names.RAW_SOURCE] == history_sources.SOURCE_MONTH_API
        and first[names.RAW_SOURCE_MONTH] == MONTH
    )
    assert first[c.API_CALLS] >= 1
    assert (second[c.API_CALLS], second[names.RAW_SOURCE]) == (0, history_sources.SOURCE_MONTH_API)
    assert second[c.RACE_COUNT] == len(simulator.world.race_plan_items(1, seoul[1])) > 0
    assert (empty[c.API_CALLS], empty[c.RACE_COUNT]) == (0, 0)
    assert metadata[2][c.COLLECTED_ASSET][c.RACE_COUNT] == 0


def test_the_month_asset_stores_the_answer_and_lists_its_race_days(
    simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kra_pipeline.defs.race_days.raw_month import raw_race_month

    monkeypatch.setenv("KRA_API_BASE_URL", simulator.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    with instance_for_test() as instance:
        result = materialize(
            [raw_race_month],
            partition_key=f"2|{MONTH}",
            instance=instance,
            resources=default_resources(),
        )
    assert result.success
    metadata = materialized(result)[names.RAW_MONTH_ASSET]
    jeju = [d for d, m in simulator.world.race_days(DAYS[0], DAYS[-1]) if m == 2]
    assert metadata[names.RACE_DATES] == jeju and metadata[names.RACE_DAY_COUNT] == len(jeju)
    stored = race_months.load_raw_race_month(get_engine(), MONTH, 2)
    assert stored is not None and len(stored.pages) == metadata[c.API_CALLS]
