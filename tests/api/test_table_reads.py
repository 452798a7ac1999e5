"""The shim's direct table reads agree with Dagster's own API, on SQLite and PostgreSQL.

The status and the job list read Dagster's tables directly; if those reads ever disagreed with
`fetch_materializations` / `get_run_records`, the API would contradict the Dagster UI. Each
case compares the two on the same instance.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
    instance_for_test,
)
from dagster._core.test_utils import create_run_for_test

from kra_api.gateway import DagsterGateway
from kra_pipeline.contract import (
    CALLER_TAG,
    JOB_TYPE_TAG,
    PARTITION_TAG,
    RACE_DAY_ASSETS,
)
from kra_pipeline.defs.shared.partitions import race_day_partitions
from tests.fixtures.postgres import temporary_postgres_database

PARTITIONS = ("20250621|1", "20250622|1", "20250622|3")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def instance(request: pytest.FixtureRequest) -> Iterator[DagsterInstance]:
    if request.param == "sqlite":
        with instance_for_test() as sqlite_instance:
            yield sqlite_instance
        return
    request.getfixturevalue("postgres_server_url")  # skips locally, fails in CI, when down
    with (
        temporary_postgres_database("kra_reads") as url,
        instance_for_test(overrides={"storage": {"postgres": {"postgres_url": url}}}) as pg,
    ):
        yield pg


def _dagster_materializations(instance: DagsterInstance, key: str) -> dict[str, float]:
    found = {}
    for name in RACE_DAY_ASSETS:
        flt = AssetRecordsFilter(asset_key=AssetKey(name), asset_partitions=[key])
        records = instance.fetch_materializations(flt, limit=1).records
        if records:
            found[name] = records[0].event_log_entry.timestamp
    return found


def _fast_materializations(gateway: DagsterGateway, key: str) -> dict[str, float]:
    return {m.asset: m.timestamp.timestamp() for m in gateway.latest_materializations(key).values()}


def _report(instance: DagsterInstance, asset: str, key: str, race_count: int) -> None:
    instance.report_runless_asset_event(
        AssetMaterialization(asset, partition=key, metadata={"race_count": race_count})
    )


def test_newest_materializations_match_dagster_even_after_a_wipe(
    instance: DagsterInstance,
) -> None:
    gateway = DagsterGateway("http://127.0.0.1:9", instance)
    for count, key in enumerate(PARTITIONS, start=5):
        for asset in RACE_DAY_ASSETS[: count - 3]:  # fewer assets on the first partitions
            _report(instance, asset, key, count)
            _report(instance, asset, key, count + 1)  # the newer one must win
    for key in (*PARTITIONS, "20250623|2"):
        assert _fast_materializations(gateway, key) == pytest.approx(
            _dagster_materializations(instance, key)
        )
    newest = gateway.latest_materializations("20250622|3")
    assert {m.metadata["race_count"] for m in newest.values()} == {8}

    instance.wipe_assets([AssetKey("collected_race_day")])
    assert "collected_race_day" not in gateway.latest_materializations("20250622|3")
    _report(instance, "collected_race_day", "20250622|3", 9)  # materialized again after it
    after = gateway.latest_materializations("20250622|3")
    assert after["collected_race_day"].metadata["race_count"] == 9
    assert _fast_materializations(gateway, "20250622|3") == pytest.approx(
        _dagster_materializations(instance, "20250622|3")
    )


def test_partition_runs_match_dagster_newest_first_with_the_current_status(
    instance: DagsterInstance,
) -> None:
    gateway = DagsterGateway("http://127.0.0.1:9", instance)
    run_ids = []
    for index in range(5):
        key = PARTITIONS[index % 2]
        run = create_run_for_test(
            instance,
            job_name="collect_races",
            status=DagsterRunStatus.STARTED,
            tags=race_day_partitions.get_tags_for_partition_key(key),
        )
        run_ids.append(run.run_id)
    for run_id in run_ids[:2]:
        instance.report_run_failed(instance.get_run_by_id(run_id))
    for key in (*PARTITIONS, "19990101|1"):
        expected = instance.get_run_records(RunsFilter(tags={PARTITION_TAG: key}), limit=2)
        got = gateway.partition_runs(key, limit=2)
        assert [(r.run_id, r.status) for r in got] == [
            (e.dagster_run.run_id, e.dagster_run.status.value) for e in expected
        ]
        assert [r.created_at for r in got] == [e.create_timestamp for e in expected]
    assert gateway.partition_runs(PARTITIONS[0])[-1].status == "FAILURE"


def test_a_callers_job_pages_match_dagster_filtered_by_caller(instance: DagsterInstance) -> None:
    gateway = DagsterGateway("http://127.0.0.1:9", instance)
    callers = ("alpha", "bravo", None)  # None: launched from the Dagster UI or CLI
    for index in range(24):
        tags = {JOB_TYPE_TAG: ("collection", "enrichment")[index % 2]}
        if callers[index % 3] is not None:
            tags[CALLER_TAG] = callers[index % 3]
        run = create_run_for_test(
            instance, job_name="collect_races", status=DagsterRunStatus.STARTED, tags=tags
        )
        if index % 4 == 0:
            instance.report_run_failed(run)
    cases = [
        ("alpha", [], None, 50, 0),
        ("alpha", [], None, 3, 2),
        ("bravo", ["FAILURE"], None, 50, 0),
        ("alpha", ["STARTED", "FAILURE"], "enrichment", 2, 1),
        ("nobody", [], "collection", 50, 0),
        ("alpha", [], None, 10, 40),
    ]
    for caller, statuses, job_type, limit, offset in cases:
        tags = {JOB_TYPE_TAG: job_type} if job_type else None
        flt = RunsFilter(statuses=[DagsterRunStatus(s) for s in statuses] or None, tags=tags)
        visible = [
            r.dagster_run.run_id
            for r in instance.get_run_records(flt)
            if r.dagster_run.tags.get(CALLER_TAG) in (None, caller)
        ]
        runs, total = gateway.list_runs(
            caller=caller, statuses=statuses, job_type=job_type, limit=limit, offset=offset
        )
        assert [run.run_id for run in runs] == visible[offset : offset + limit]
        assert total == len(visible)
