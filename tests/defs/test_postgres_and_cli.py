"""The pipeline on PostgreSQL (Dagster instance and race store), and from the dagster CLI."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
    instance_for_test,
    materialize,
)
from dagster._core.instance.ref import InstanceRef

from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.races.models import RaceEntrant, group_races
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import load_collected_race_day
from kra_pipeline.store.views import list_races
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer
from tests.fixtures.postgres import temporary_postgres_database
from tests.fixtures.store_summary import race_day_summary

REPO = Path(__file__).resolve().parents[2]
SEOUL_SUNDAY = "20250622"


@pytest.fixture(autouse=True)
def per_day_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests compare raw items with the world's API214_1 items: pin the per-day path."""
    monkeypatch.setenv("KRA_HISTORY_SOURCE", "day")


def simulator_truth(simulator: SimulatorServer, race_date: str, meet: int):
    items = simulator.world.race_day_items(meet, race_date)
    return group_races(RaceEntrant.from_item(item) for item in items)


@pytest.mark.postgres
def test_a_race_day_runs_on_a_postgres_instance_with_a_postgres_race_store(
    simulator_env, postgres_server_url, monkeypatch
):
    with (
        temporary_postgres_database("kra_dagster") as dagster_url,
        temporary_postgres_database("kra_races") as races_url,
    ):
        monkeypatch.setenv("KRA_DATABASE_URL", races_url)
        storage = {"postgres": {"postgres_url": dagster_url}}
        with instance_for_test(overrides={"storage": storage}) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            for _ in range(2):  # twice: the second run replaces, never duplicates
                result = materialize(
                    race_day_assets,
                    partition_key=f"{SEOUL_SUNDAY}|1",
                    instance=instance,
                    resources=default_resources(),
                )
                assert result.success
            runs = instance.get_runs()
            assert [run.status for run in runs] == [DagsterRunStatus.SUCCESS] * 2
            event = instance.get_latest_materialization_event(AssetKey("collected_race_day"))
            assert event.asset_materialization.partition == f"{SEOUL_SUNDAY}|1"
        engine = get_engine(races_url)
        assert engine.dialect.name == "postgresql"
        stored = load_collected_race_day(engine, SEOUL_SUNDAY, 1)
        assert stored == simulator_truth(simulator_env, SEOUL_SUNDAY, 1)
        summary = race_day_summary(engine, SEOUL_SUNDAY, 1).to_dict()
        assert summary["enriched_entry_count"] == sum(len(race.entrants) for race in stored)
        engine.dispose()


def test_dagster_cli_materializes_every_asset_and_reruns_leave_the_same_rows(
    kra_simulator: SimulatorServer, isolated_kra_home: Path, tmp_path: Path
):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "KRA_HOME": str(isolated_kra_home),
        "KRA_API_BASE_URL": kra_simulator.base_url,
        "KRA_API_KEY": SIMULATOR_API_KEY,
    }
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "asset",
        "materialize",
        "-m",
        "kra_pipeline.definitions",
        "--select",
        # The race-day chain and the form computed from it (the market and prediction assets
        # have their own tests: a prediction needs a trained model first).
        "raw_race_day,collected_race_day,enriched_race_day,entrant_form",
        "--partition",
        f"{SEOUL_SUNDAY}|1",
    ]
    snapshots = []
    for _ in range(2):
        done = subprocess.run(
            command, env=env, cwd=REPO, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, done.stderr[-3000:]
        engine = get_engine()
        races = list_races(engine, SEOUL_SUNDAY, 1)
        snapshots.append([{k: v for k, v in r.items() if k != "collected_at"} for r in races])
    assert snapshots[0] == snapshots[1]
    stored = load_collected_race_day(get_engine(), SEOUL_SUNDAY, 1)
    assert stored == simulator_truth(kra_simulator, SEOUL_SUNDAY, 1)
    assert all(race["entrants"][0]["enrichment"] is not None for race in snapshots[0])
    # The run history went to the persistent instance, not a throwaway one.
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home))) as instance:
        runs = instance.get_runs(RunsFilter(tags={"dagster/partition": f"{SEOUL_SUNDAY}|1"}))
        assert [run.status for run in runs] == [DagsterRunStatus.SUCCESS] * 2
