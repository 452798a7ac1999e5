"""The race-day assets against the offline simulator over real HTTP, stored in a real race store."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import AssetKey, DagsterInstance, instance_for_test, materialize
from sqlalchemy import func, select

from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.shared.resources import RaceSelection, RaceStoreResource, default_resources
from kra_pipeline.races.models import (
    EnrichedEntrant,
    HorseDetail,
    JockeyDetail,
    RaceEntrant,
    TrainerDetail,
    group_races,
)
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.enriched import load_enriched_race_day
from kra_pipeline.store.race_days import load_collected_race_day
from kra_pipeline.store.tables import EnrichedEntrantRow, EntrantResultRow, EntrantRow, RaceRow
from kra_pipeline.store.views import list_races
from kra_simulator import SimulatorServer

SEOUL, JEJU, BUSAN = 1, 2, 3


@pytest.fixture(autouse=True)
def per_day_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests pin the API214_1 per-day path (raw kept verbatim, one call a day); the
    month path has its own tests in tests/defs/race_days/test_month_source.py."""
    monkeypatch.setenv("KRA_HISTORY_SOURCE", "day")


def finished_race_day(simulator: SimulatorServer, meet: int) -> str:
    """A recent race day of `meet` whose results the simulator has already posted."""
    days = [d for d, m in simulator.world.race_days("20250501", "20250630") if m == meet]
    return days[-1]


def non_race_day(simulator: SimulatorServer, meet: int) -> str:
    raced = {d for d, m in simulator.world.race_days("20250601", "20250614") if m == meet}
    return next(d for d in (f"202506{n:02d}" for n in range(1, 15)) if d not in raced)


def run_day(
    instance: DagsterInstance, race_date: str, meet: int, **resources: Any
) -> dict[str, dict[str, Any]]:
    """Materialize the three assets for one race day; metadata by asset name."""
    result = materialize(
        race_day_assets,
        partition_key=f"{race_date}|{meet}",
        instance=instance,
        resources={**default_resources(), **resources},
    )
    assert result.success
    return {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.metadata.items()}
        for event in result.get_asset_materialization_events()
        for event in [event.event_specific_data.materialization]
    }


def truth(simulator: SimulatorServer, race_date: str, meet: int) -> list[RaceEntrant]:
    return [RaceEntrant.from_item(item) for item in simulator.world.race_day_items(meet, race_date)]


def stored_races(race_date: str, meet: int) -> list[dict[str, Any]]:
    """The stored races as the REST shim serves them, without the time they were written."""
    races = list_races(get_engine(), race_date, meet)
    return [{k: v for k, v in race.items() if k != "collected_at"} for race in races]


def row_counts() -> dict[str, int]:
    engine = get_engine()
    with engine.connect() as connection:
        return {
            table.__tablename__: connection.execute(
                select(func.count()).select_from(table)
            ).scalar_one()
            for table in (RaceRow, EntrantRow, EntrantResultRow, EnrichedEntrantRow)
        }


@pytest.mark.parametrize("meet", [SEOUL, JEJU, BUSAN])
def test_a_finished_day_is_stored_exactly_as_the_simulator_has_it(simulator_env, meet):
    race_date = finished_race_day(simulator_env, meet)
    with instance_for_test() as instance:
        metadata = run_day(instance, race_date, meet)
    expected = group_races(truth(simulator_env, race_date, meet))
    stored = load_collected_race_day(get_engine(), race_date, meet)
    assert stored == expected
    assert all(race.is_finished for race in stored)
    assert metadata["raw_race_day"]["race_count"] == len(expected)
    assert metadata["raw_race_day"]["api_calls"] == 1
    assert metadata["collected_race_day"]["race_numbers"] == [r.race_no for r in expected]
    assert metadata["collected_race_day"]["finished_race_count"] == len(expected)
    entries = sum(len(race.entrants) for race in expected)
    assert metadata["collected_race_day"]["entry_count"] == entries
    assert metadata["enriched_race_day"]["enriched_entry_count"] == entries
    assert metadata["enriched_race_day"]["missing_detail_count"] == 0


def test_enrichment_joins_the_simulators_registries(simulator_env):
    race_date = finished_race_day(simulator_env, SEOUL)
    world = simulator_env.world
    with instance_for_test() as instance:
        run_day(instance, race_date, SEOUL)
    rows = load_enriched_race_day(get_engine(), race_date, SEOUL)
    entrants = truth(simulator_env, race_date, SEOUL)
    assert len(rows) == len(entrants)
    by_gate = {(e.race_no, e.gate_no): e for e in entrants}
    for row in rows:
        entrant = by_gate[(row.race_no, row.gate_no)]
        expected = EnrichedEntrant.build(
            entrant,
            HorseDetail.from_item(world.horse_item(entrant.horse_no)),
            JockeyDetail.from_item(world.jockey_item(entrant.jockey_no)),
            TrainerDetail.from_item(world.trainer_item(entrant.trainer_no)),
        )
        assert row == expected


def test_running_a_day_twice_leaves_the_same_rows(simulator_env):
    race_date = finished_race_day(simulator_env, BUSAN)
    with instance_for_test() as instance:
        run_day(instance, race_date, BUSAN)
        first = (row_counts(), stored_races(race_date, BUSAN))
        second_metadata = run_day(instance, race_date, BUSAN)
        second = (row_counts(), stored_races(race_date, BUSAN))
    assert first == second
    # Details cached by the first run: the second enrichment costs nothing.
    assert second_metadata["enriched_race_day"]["api_calls"] == 0


def test_a_day_without_racing_is_a_success_with_no_races(simulator_env):
    race_date = non_race_day(simulator_env, SEOUL)
    with instance_for_test() as instance:
        metadata = run_day(instance, race_date, SEOUL)
    assert metadata["raw_race_day"] == {**metadata["raw_race_day"], "race_count": 0, "api_calls": 1}
    assert metadata["collected_race_day"]["race_count"] == 0
    assert metadata["enriched_race_day"]["api_calls"] == 0
    assert simulator_env.stats.total_calls == 1


def test_a_run_can_be_restricted_to_some_races(simulator_env):
    race_date = finished_race_day(simulator_env, SEOUL)
    with instance_for_test() as instance:
        metadata = run_day(
            instance, race_date, SEOUL, race_selection=RaceSelection(race_numbers=[2, 3])
        )
    assert metadata["collected_race_day"]["race_numbers"] == [2, 3]
    enriched = load_enriched_race_day(get_engine(), race_date, SEOUL)
    assert {row.race_no for row in enriched} == {2, 3}


def test_a_wrong_key_fails_the_run_at_once_with_the_actionable_message(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
):
    simulator = start_kra_simulator()
    monkeypatch.setenv("KRA_API_BASE_URL", simulator.base_url)
    monkeypatch.setenv("KRA_API_KEY", "not-a-registered-key")
    with instance_for_test() as instance:
        result = materialize(
            race_day_assets,
            partition_key="20250622|1",
            instance=instance,
            resources=default_resources(),
            raise_on_error=False,
        )
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        message = failure.step_failure_data.error.message
        assert "KRA_API_KEY" in message
        assert "not-a-registered-key" not in message
        # Not retried: one call reached the API, and no retry event was logged.
        assert simulator.stats.total_calls == 1
        assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
        assert instance.get_latest_materialization_event(AssetKey("raw_race_day")) is None


def test_client_retries_show_in_the_runs_event_log(start_kra_simulator, monkeypatch):
    simulator = start_kra_simulator(fault_rate=0.6, fault_kinds=("server_error",), fault_seed=3)
    monkeypatch.setenv("KRA_API_BASE_URL", simulator.base_url)
    monkeypatch.setenv("KRA_API_KEY", "kra-simulator-key")
    monkeypatch.setenv("KRA_API_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("KRA_API_MAX_ATTEMPTS", "20")
    repo_yaml = Path(__file__).resolve().parents[3] / "dagster.yaml"
    python_logs = yaml.safe_load(repo_yaml.read_text())["python_logs"]
    with instance_for_test(overrides={"python_logs": python_logs}) as instance:
        result = materialize(
            [race_day_assets[0]],
            partition_key=f"{finished_race_day(simulator, SEOUL)}|1",
            instance=instance,
            resources=default_resources(),
        )
        assert result.success
        messages = [
            record.user_message
            for record in instance.all_logs(result.run_id)
            if "kra.retry" in record.user_message
        ]
    assert simulator.stats.faults["server_error"] >= 1
    assert len(messages) == simulator.stats.faults["server_error"]
    assert "API214_1" in messages[0]  # key=value or JSON, as the process configured it


def test_a_read_only_store_fails_the_step_at_once_naming_the_cause(simulator_env, tmp_path):
    store = tmp_path / "races.sqlite"
    get_engine(f"sqlite:///{store}")  # the schema exists; only writing is impossible
    read_only = RaceStoreResource(database_url=f"sqlite:///file:{store}?mode=ro&uri=true")
    with instance_for_test() as instance:
        result = materialize(
            [race_day_assets[0]],
            partition_key=f"{finished_race_day(simulator_env, SEOUL)}|1",
            instance=instance,
            resources={**default_resources(), "race_store": read_only},
            raise_on_error=False,
        )
    assert not result.success
    # Not retried for minutes as if transient: one attempt, one KRA call.
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert "attempt to write a readonly database" in message
    assert "make it writable" in message
