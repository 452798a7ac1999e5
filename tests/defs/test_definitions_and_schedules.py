"""The code location loads, and the schedule and sensor ask for the right race days."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

from dagster import (
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from kra_pipeline.definitions import defs
from kra_pipeline.defs.race_days.automation import (
    KST,
    evening_collection,
    recollect_unfinished_days,
)


@contextmanager
def freeze_time_before_day_end(race_date: str) -> Iterator[None]:
    """Events reported inside this block are stamped at 15:00 KST on the race day."""
    moment = datetime.strptime(race_date, "%Y%m%d").replace(hour=15, tzinfo=KST).timestamp()
    with mock.patch("time.time", return_value=moment):
        yield


def test_code_location_loads():
    Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("collect_races")
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == {
        "raw_race_day",
        "collected_race_day",
        "enriched_race_day",
    }
    assert defs.resolve_job_def("collect_race_cards") is not None


def test_evening_schedule_collects_the_day_just_raced_for_every_meet():
    # 21:30 KST on Sunday 22 June 2025 is 12:30 UTC.
    with instance_for_test() as instance:
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2025, 6, 22, 12, 30, tzinfo=UTC),
            repository_def=defs.get_repository_def(),
        )
        requests = evening_collection.evaluate_tick(context).run_requests
    assert [str(request.partition_key) for request in requests] == [
        "20250622|1",
        "20250622|2",
        "20250622|3",
    ]
    assert all(request.tags["kra/job_type"] == "collection" for request in requests)
    assert requests[0].tags["dagster/partition/meet"] == "1"


def _report_collected(instance: DagsterInstance, partition: str, races: int, finished: int) -> None:
    instance.report_runless_asset_event(
        AssetMaterialization(
            asset_key="collected_race_day",
            partition=partition,
            metadata={"race_count": races, "finished_race_count": finished},
        )
    )


def _yesterday() -> str:
    return (datetime.now(KST).date() - timedelta(days=1)).strftime("%Y%m%d")


def test_sensor_recollects_a_recent_day_whose_card_lacks_results():
    race_date = _yesterday()
    with instance_for_test() as instance:
        # Stored during the day (simulated by a card reported with races still unrun) ...
        with freeze_time_before_day_end(race_date):
            _report_collected(instance, f"{race_date}|1", races=11, finished=4)
        _report_collected(instance, f"{race_date}|2", races=9, finished=9)
        result = recollect_unfinished_days.evaluate_tick(
            build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
        )
        assert [str(r.partition_key) for r in result.run_requests] == [f"{race_date}|1"]
        assert result.run_requests[0].tags["kra/job_type"] == "collection"


def test_sensor_leaves_a_day_alone_once_a_card_taken_after_it_ended_is_stored():
    race_date = _yesterday()
    with instance_for_test() as instance:
        with freeze_time_before_day_end(race_date):
            _report_collected(instance, f"{race_date}|1", races=11, finished=4)
        # Re-collected after the day: a race still without result (e.g. abandoned) stays so.
        _report_collected(instance, f"{race_date}|1", races=11, finished=10)
        result = recollect_unfinished_days.evaluate_tick(
            build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
        )
        assert not result.run_requests


def test_sensor_skips_when_every_recent_day_is_complete():
    with instance_for_test() as instance:
        result = recollect_unfinished_days.evaluate_tick(
            build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
        )
    assert not result.run_requests
    assert "collected after its races had run" in (result.skip_message or "")
