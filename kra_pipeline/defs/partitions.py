"""Race-day partitions: one per (date, meet).

Importable on its own so the REST shim can validate keys without loading the assets.
"""

from __future__ import annotations

from dagster import (
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

from kra_pipeline.contract import (
    DATE_FORMAT,
    FIRST_RACE_DATE,
    MEET_CODES,
    MONTH_FORMAT,
    TIMEZONE,
)

# Partition keys of the meet dimension: the meet codes as strings.
MEETS: tuple[str, ...] = tuple(str(meet) for meet in MEET_CODES)

# end_offset=1: today (KST) is a partition too, so today's card and this evening's results can
# be collected before the day is over.
date_partitions = DailyPartitionsDefinition(
    start_date=FIRST_RACE_DATE, fmt=DATE_FORMAT, timezone=TIMEZONE, end_offset=1
)
meet_partitions = StaticPartitionsDefinition(list(MEETS))

race_day_partitions = MultiPartitionsDefinition({"date": date_partitions, "meet": meet_partitions})


# One partition per month and meet; end_offset=1 so the current month is one too.
month_partitions = MonthlyPartitionsDefinition(
    start_date=FIRST_RACE_DATE[:6], fmt=MONTH_FORMAT, timezone=TIMEZONE, end_offset=1
)
race_month_partitions = MultiPartitionsDefinition(
    {"meet": meet_partitions, "month": month_partitions}
)


def split_race_month_key(key: str | MultiPartitionKey) -> tuple[str, int]:
    """(month YYYYMM, meet) of a month partition key."""
    if not isinstance(key, MultiPartitionKey):
        key = race_month_partitions.get_partition_key_from_str(str(key))
    dims = key.keys_by_dimension
    return dims["month"], int(dims["meet"])


def race_day_key(race_date: str, meet: int | str) -> MultiPartitionKey:
    """The partition key of one race day; `race_date` is YYYYMMDD."""
    return MultiPartitionKey({"date": race_date, "meet": str(meet)})


def split_race_day_key(key: str | MultiPartitionKey) -> tuple[str, int]:
    """(race_date, meet) of a key, whether Dagster handed us a string or a MultiPartitionKey."""
    if not isinstance(key, MultiPartitionKey):
        key = race_day_partitions.get_partition_key_from_str(str(key))
    dims = key.keys_by_dimension
    return dims["date"], int(dims["meet"])
