"""What a backfill request becomes: the race-day partitions Dagster is asked to run."""

from __future__ import annotations

import pytest

from kra_api.schemas import BackfillRequest
from kra_api.services.launcher import InvalidRaceDay, backfill_partition_keys


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


def test_a_range_longer_than_a_year_is_refused_with_the_limit() -> None:
    request = BackfillRequest(date_from="20230101", date_to="20240102")
    with pytest.raises(InvalidRaceDay, match="at most 366 days"):
        backfill_partition_keys(request)
