"""What a backfill request becomes: the race-day partitions Dagster is asked to run."""

from __future__ import annotations

import pytest

from kra_api.schemas import BackfillRequest
from kra_api.services.launcher import backfill_partition_keys
from kra_pipeline.contract import (
    InvalidRaceDay,
)


def test_a_backfill_covers_every_meet_of_every_day_of_the_range_both_ends_included() -> None:
    request = BackfillRequest(date_from="20250630", date_to="20250702", meets=[3, 1])
    assert backfill_partition_keys(request) == [
        "20250630|1", "20250630|3",
        "20250701|1", "20250701|3",
        "20250702|1", "20250702|3",
    ]  # fmt: skip


def test_a_backfill_without_meets_covers_all_three_racecourses() -> None:
    request = BackfillRequest(date_from="20250622", date_to="20250622")
    assert backfill_partition_keys(request) == ["20250622|1", "20250622|2", "20250622|3"]


def test_the_whole_history_is_one_backfill() -> None:
    request = BackfillRequest(date_from="20150101", date_to="20251231")
    keys = backfill_partition_keys(request)
    assert len(keys) == 4018 * 3
    assert (keys[0], keys[-1]) == ("20150101|1", "20251231|3")


def test_a_range_starting_before_the_partitions_is_refused() -> None:
    request = BackfillRequest(date_from="20141231", date_to="20150102")
    with pytest.raises(InvalidRaceDay, match="20150101"):
        backfill_partition_keys(request)
