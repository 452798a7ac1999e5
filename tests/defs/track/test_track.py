"""Track condition and weather per race (API189_1): stored as the simulator reports them,
checked against API214_1's track text, no call on a day without racing, and a key without
API189_1 loses only this source."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from dagster import instance_for_test, materialize

from kra_pipeline import contract as c
from kra_pipeline.defs.race_days import collected_race_day, raw_race_day
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.defs.track import race_day_track
from kra_pipeline.kra import track as kra_track
from kra_pipeline.kra.track import parse_track
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.track import load_track_reports
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

TODAY = "20250610"
RACING, QUIET = ("20250607", 1), ("20250603", 1)  # a Seoul Saturday; a Tuesday
ASSETS = [raw_race_day, collected_race_day, race_day_track]


def _run(server: SimulatorServer, monkeypatch: pytest.MonkeyPatch, day: tuple[str, int]):
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    monkeypatch.setenv("KRA_HISTORY_SOURCE", "day")
    with instance_for_test() as instance:
        return materialize(
            ASSETS, partition_key=f"{day[0]}|{day[1]}", instance=instance,
            resources=default_resources(), raise_on_error=False,
        )  # fmt: skip


def test_each_race_gets_its_track_and_weather_as_kra_reports_them(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_kra_simulator(today=TODAY)
    result = _run(server, monkeypatch, RACING)
    assert result.success
    truth = server.world.track_items(RACING[1], RACING[0])
    stored = load_track_reports(get_engine(), *RACING)
    assert sorted(stored) == [row["rcNo"] for row in truth]
    for row in truth:
        report = stored[row["rcNo"]]
        assert (report["condition"], report["moisture"]) == (row["track"], row["waterPercent"])
        assert (report["temperature"], report["humidity"]) == (
            row["temperature"],
            row["humidityRel"],
        )
        assert (report["wind_direction"], report["wind_speed"]) == (
            row["windDirection"],
            row["windSpeed"],
        )
    (check,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == names.TRACK_ASSET
    ]
    assert check.passed  # the same condition and moisture as API214_1's track text
    assert server.stats.calls[kra_track.TRACK_API] == 1

    quiet = _run(server, monkeypatch, QUIET)
    assert quiet.success
    assert server.stats.calls[kra_track.TRACK_API] == 1  # no racing, no call


def test_a_refused_track_api_spares_the_race_day(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_kra_simulator(today=TODAY, refused_apis=(kra_track.TRACK_API,))
    result = _run(server, monkeypatch, RACING)
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failures] == [names.TRACK_ASSET]
    assert "Apply for API189_1" in str(failures[0].event_specific_data.error)
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert done == {c.RAW_ASSET, c.COLLECTED_ASSET}


def test_placeholders_are_not_measurements_and_both_spellings_are_read() -> None:
    before, after = parse_track(
        [
            {"rcDate": 20250607, "rcNo": 1, "track": "-", "waterPercent": 0,
             "temperature": "-", "humidityRel": "-", "weather": "-"},
            {"rcDate": "20250607", "rcNo": 2, "trackCd": "양호", "waterPercent": "7",
             "temperature": "21.5", "humidity": 60, "windSpeed": "2.1"},
        ]
    )  # fmt: skip
    assert (before.condition, before.moisture, before.temperature, before.weather) == (
        None, None, None, None,
    )  # fmt: skip
    assert (after.condition, after.moisture, after.temperature, after.humidity) == (
        "양호", 7.0, 21.5, 60.0,
    )  # fmt: skip
    assert after.raw["trackCd"] == "양호"
