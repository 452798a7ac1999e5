"""Race-day partitions: one per (date, meet).

Importable on its own so the REST shim can validate keys without loading the assets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta

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
    PARTITION_TAG,
    TIMEZONE,
    UPCOMING_DAYS,
)
from kra_pipeline.defs.shared.names import MONTH_FORMAT, RANGE_END_TAG, RANGE_START_TAG

# Partition keys of the meet dimension: the meet codes as strings.
MEETS: tuple[str, ...] = tuple(str(meet) for meet in MEET_CODES)

# end_offset: today (KST) is a partition too, so today's card and this evening's results can be
# collected before the day is over, and so are the UPCOMING_DAYS after it (their entry sheets).
date_partitions = DailyPartitionsDefinition(
    start_date=FIRST_RACE_DATE, fmt=DATE_FORMAT, timezone=TIMEZONE, end_offset=1 + UPCOMING_DAYS
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


def race_month_key(month: str, meet: int | str) -> str:
    """The partition key (text) of one meet's month; `month` is YYYYMM."""
    return str(MultiPartitionKey({"meet": str(meet), "month": month}))


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


def race_day_keys_of_run(tags: Mapping[str, str]) -> list[str]:
    """The race-day keys a run covers, from its tags: its one partition, or every date of the
    range for the range's meet (Dagster batches race days per meet and date range)."""
    if PARTITION_TAG in tags:
        return [tags[PARTITION_TAG]]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if not start or not end:
        return []
    (first, meet), (last, _) = split_race_day_key(start), split_race_day_key(end)
    day, stop = datetime.strptime(first, DATE_FORMAT), datetime.strptime(last, DATE_FORMAT)
    keys = []
    while day <= stop:
        keys.append(str(race_day_key(day.strftime(DATE_FORMAT), meet)))
        day += timedelta(days=1)
    return keys


def race_day_ranges(keys: Iterable[str], most: int) -> Iterator[tuple[str, str]]:
    """(first, last) keys of runs of consecutive dates per meet, at most `most` days each: how
    a set of race days is asked for in as few batched runs as the backfill policy allows."""
    by_meet: dict[int, list[datetime]] = {}
    for key in keys:
        race_date, meet = split_race_day_key(key)
        by_meet.setdefault(meet, []).append(datetime.strptime(race_date, DATE_FORMAT))
    for meet, days in sorted(by_meet.items()):
        days.sort()
        start = previous = days[0]
        for day in days[1:]:
            if day - previous != timedelta(days=1) or (day - start).days >= most:
                yield _key(start, meet), _key(previous, meet)
                start = day
            previous = day
        yield _key(start, meet), _key(previous, meet)


def _key(day: datetime, meet: int) -> str:
    return str(race_day_key(day.strftime(DATE_FORMAT), meet))
