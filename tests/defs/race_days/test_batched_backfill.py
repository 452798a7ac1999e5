"""Many race-day partitions per run: on dagster 1.13.27 a backfill of the date x meet
partitions batches (BackfillPolicy.multi_run) whichever meets are selected, one run per meet
and date range, and a batched run still gives every partition its own materialization and
metadata, equal to what the simulator has."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test, materialize
from dagster._core.execution.backfill import PartitionBackfill
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.backfill import execute_backfill_iteration

from kra_api.gateway.history import _run_partitions
from kra_pipeline import contract as c
from kra_pipeline.defs.race_days import race_day_assets
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.batch import PARTITIONS_PER_RUN
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.history import sources as history_sources
from kra_pipeline.races.models import RaceEntrant, group_races
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import load_collected_race_day
from kra_simulator import SIMULATOR_API_KEY, SimulatorConfig, SimulatorServer

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
DAYS = [f"202505{d:02d}" for d in range(1, 15)]  # two weeks


@pytest.fixture(scope="module")
def backfill_runs() -> dict[str, list[dict[str, str]]]:
    """The runs the backfill daemon creates (launches recorded, not executed) per selection."""
    selections = {"all meets": "123", "meets 1,3": "13", "meet 2": "2"}
    found: dict[str, list[dict[str, str]]] = {}
    launcher = {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"}
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="kra_pipeline.definitions", attribute="defs"),
        location_name="kra",
    )
    with (
        instance_for_test(overrides={"run_launcher": launcher}) as instance,
        create_test_daemon_workspace_context(InProcessWorkspaceLoadTarget(origin), instance) as ws,
    ):
        for label, meets in selections.items():
            keys = [f"{day}|{meet}" for day in DAYS for meet in meets]
            backfill = PartitionBackfill.from_asset_partitions(
                backfill_id=f"batch{meets}",
                asset_graph=ws.create_request_context().asset_graph,
                partition_names=keys,
                asset_selection=[AssetKey(name) for name in c.RACE_DAY_ASSETS],
                backfill_timestamp=time.time(),
                tags={},
                dynamic_partitions_store=instance,
                all_partitions=False,
                title=None,
                description=None,
                run_config=None,
            )
            instance.add_backfill(backfill)
            found[label] = [{"partitions": str(len(keys)), "id": f"batch{meets}"}]
        for _ in range(3):
            list(execute_backfill_iteration(ws, logging.getLogger(__name__)))
        for label, (count,) in list(found.items()):
            runs = [r for r in instance.get_runs() if r.tags.get(c.BACKFILL_TAG) == count["id"]]
            found[label] = [dict(run.tags) for run in runs] + [count]
    return found


@pytest.mark.parametrize("label", ["all meets", "meets 1,3", "meet 2"])
def test_a_backfill_makes_one_run_per_meet_and_date_range(
    backfill_runs: dict[str, list[dict[str, str]]], label: str
) -> None:
    *runs, count = backfill_runs[label]
    meets = {"all meets": 3, "meets 1,3": 2, "meet 2": 1}[label]
    assert int(count["partitions"]) == meets * len(DAYS)
    assert len(runs) == meets * -(-len(DAYS) // PARTITIONS_PER_RUN) < int(count["partitions"])
    for tags in runs:
        start, end = (tags[tag] for tag in RANGE_TAGS)
        assert start.split("|")[1] == end.split("|")[1]  # one meet per run
        assert c.PARTITION_TAG not in tags
    # the REST job progress counts every partition a batched run covers
    keys = [f"{day}|{meet}" for day in DAYS for meet in {"all meets": "123"}.get(label, "")]
    if keys:
        assert sum(_run_partitions(tags, keys) for tags in runs) == len(keys)


def metadata_by_partition(instance: DagsterInstance, asset: str) -> dict[str, dict[str, Any]]:
    records = instance.fetch_materializations(AssetKey(asset), limit=1000).records
    return {
        str(r.partition_key): {
            k: v.value
            for k, v in r.asset_materialization.metadata.items()  # type: ignore[union-attr]
        }
        for r in records
    }


def test_a_batched_run_gives_each_partition_its_own_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = SimulatorServer(SimulatorConfig(seed=11)).start()
    try:
        monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
        monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
        first, last = "20250501|3", "20250505|3"
        with instance_for_test() as instance:
            result = materialize(
                race_day_assets,
                instance=instance,
                resources=default_resources(),
                tags=dict(zip(RANGE_TAGS, (first, last), strict=True)),
            )
            assert result.success
            raw = metadata_by_partition(instance, c.RAW_ASSET)
            collected = metadata_by_partition(instance, c.COLLECTED_ASSET)
            enriched = metadata_by_partition(instance, c.ENRICHED_ASSET)
        world = server.world
        assert sorted(raw) == [f"202505{d:02d}|3" for d in range(1, 6)]
        assert sorted(collected) == sorted(enriched) == sorted(raw)
        for key, meta in raw.items():
            day = key.split("|")[0]
            truth = group_races(RaceEntrant.from_item(i) for i in world.race_day_items(3, day))
            stored = load_collected_race_day(get_engine(), day, 3)
            assert [r.race_no for r in stored] == [r.race_no for r in truth]
            assert meta[c.RACE_COUNT] == len(truth) == collected[key][c.RACE_COUNT]
            assert meta[names.RAW_SOURCE] == history_sources.SOURCE_MONTH_API
            assert enriched[key][names.ENRICHED_ENTRY_COUNT] == sum(len(r.entrants) for r in truth)
        # the month answer was fetched once for the run; every other day cost nothing
        assert sum(meta[c.API_CALLS] for meta in raw.values()) == server.stats.calls["API4_3"]
        assert server.stats.calls["API214_1"] == 0
    finally:
        server.stop()
