"""Every name the pipeline and the REST shim both read: race-day keys and their validation,
Seoul time, the assets and jobs the REST API launches or reads, run tags, job types, the
materialization metadata the REST status reads and the run config of a race selection.
Names only the Dagster side reads live in `kra_pipeline.defs.shared.names`.

Plain Python (no Dagster import), so the client, the store, the shim and the CLI can all agree
on one spelling without loading the code location.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import IntEnum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

# --- race days -------------------------------------------------------------------------------
DATE_FORMAT = "%Y%m%d"
# ASCII digits only: `\d` would also take full-width and other Unicode digits.
RACE_DATE_PATTERN = r"^[0-9]{8}$"
RACE_DATE_RE = re.compile(RACE_DATE_PATTERN)
TIMEZONE = "Asia/Seoul"
# Seoul time: the day race-day partitions, KRA's results and its quotas go by.
KST = ZoneInfo(TIMEZONE)
FIRST_RACE_DATE = "20150101"
MAX_RACE_NO = 20
# Upcoming race days: the partitions reach this many days past today (KST), and their cards
# come from the entry sheet, kept as first seen.
UPCOMING_DAYS = 3


def kst_today() -> dt.date:
    """Today in Seoul."""
    return dt.datetime.now(KST).date()


class Meet(IntEnum):
    """The three racecourses, by the code the API filters on."""

    SEOUL = 1
    JEJU = 2
    BUSAN = 3


MEET_CODES: tuple[int, ...] = tuple(int(meet) for meet in Meet)
MEET_HELP = "1 Seoul, 2 Jeju, 3 Busan-Gyeongnam"

# --- assets and jobs -------------------------------------------------------------------------
# The Dagster code location (workspace.yaml, the gRPC workspace `kra up` writes, deploy/).
CODE_LOCATION = "kra"
RAW_ASSET = "raw_race_day"
COLLECTED_ASSET = "collected_race_day"
ENRICHED_ASSET = "enriched_race_day"
RACE_DAY_ASSETS: tuple[str, ...] = (RAW_ASSET, COLLECTED_ASSET, ENRICHED_ASSET)
# The REST status reads when the dividends were fetched (result_status).
DIVIDENDS_ASSET = "race_day_dividends"
COLLECT_UPCOMING_JOB = "collect_upcoming_cards"
COLLECT_WITH_ENRICHMENT_JOB = "collect_races"
COLLECT_CARDS_ONLY_JOB = "collect_race_cards"
# The resource whose config limits a run to some races (race_selection_config below).
RACE_SELECTION_RESOURCE = "race_selection"

# --- race-day validation (the REST launcher, predict, races and `kra diagnose` all take it) --


class InvalidRaceDay(ValueError):
    """A date × meet that is not a race-day partition, with the dates that are."""


def last_race_date(today: dt.date | None = None) -> str:
    """The newest collectable date: today in Seoul and the UPCOMING_DAYS after it."""
    return ((today or kst_today()) + dt.timedelta(days=UPCOMING_DAYS)).strftime(DATE_FORMAT)


def race_day_key_text(race_date: str, meet: int | str) -> str:
    """`YYYYMMDD|meet`: Dagster joins multi-partition dimension values in the alphabetical
    order of the dimension names, date then meet."""
    return f"{race_date}|{meet}"


def race_day_partition_key(race_date: str, meet: int | str, today: dt.date | None = None) -> str:
    """The partition key of a collectable race day, or InvalidRaceDay saying which dates and
    meets are allowed."""
    last = last_race_date(today)
    if not isinstance(race_date, str) or not RACE_DATE_RE.match(race_date):
        raise InvalidRaceDay(f"date must be YYYYMMDD, e.g. '20250622'; got {race_date!r}")
    try:
        dt.datetime.strptime(race_date, DATE_FORMAT)
    except ValueError:
        raise InvalidRaceDay(f"date {race_date} is not a calendar date") from None
    if str(meet) not in {str(code) for code in MEET_CODES}:
        raise InvalidRaceDay(f"meet must be one of {MEET_HELP}; got {meet!r}")
    if not FIRST_RACE_DATE <= race_date <= last:
        raise InvalidRaceDay(
            f"date {race_date} is not a collectable race day: use a date from {FIRST_RACE_DATE} "
            f"to {last} (today in {TIMEZONE} and the {UPCOMING_DAYS} days after it, whose "
            "entry sheets come out about two days ahead)"
        )
    return race_day_key_text(race_date, meet)


class CardKind(StrEnum):
    """The card a prediction is made from (`prediction.cards.serving_card`), as stored with it
    and asked for by `GET /api/v2/predict/track-record?card=`."""

    SHEET = "sheet"  # the entry sheet as first seen the evening before, scratches known then
    MORNING = "morning"  # the race day's card with body weights and scratches, before the off
    FINAL = "final"  # the collected pre-race card, for analysis only


CARD_KINDS = tuple(kind.value for kind in CardKind)


# --- run tags --------------------------------------------------------------------------------
# What kind of work a run is (a JobType value).
JOB_TYPE_TAG = "kra/job_type"


class JobType(StrEnum):
    """The kinds of work `GET /api/v2/jobs` lists, as tagged on runs."""

    COLLECTION = "collection"
    ENRICHMENT = "enrichment"
    BATCH = "batch"
    BACKFILL = "backfill"
    PREDICTION = "prediction"
    EXPORT = "export"


def job_type_tags(kind: JobType) -> dict[str, str]:
    """The tag that says what kind of work a run is (a plain string: Dagster's serialiser
    refuses enums it does not know)."""
    return {JOB_TYPE_TAG: kind.value}


# Fingerprint of the REST caller's API key (never the key itself).
CALLER_TAG = "kra/caller"
# The REST collection options, as sorted JSON.
OPTIONS_TAG = "kra/options"
# Set on a run whose KRA calls were refused for configuration (bad or missing key, no access):
# the REST health check reads it, so a rejected key shows without spending an API call.
CONFIGURATION_ERROR_TAG = "kra/configuration_error"
# Set on a run whose step could not reach KRA (network or timeout), for /health/detailed.
KRA_UNREACHABLE_TAG = "kra/unreachable"
# Set on a run that got answers from KRA: it clears the two tags above for health checks.
KRA_REACHED_TAG = "kra/reached"
# Set on a run a spent daily quota stopped; the value is the reset (ISO, 00:00 KST), after which
# the resume sensor re-requests the race days the run left undone.
DAILY_QUOTA_TAG = "kra/daily_quota_reset"
# A quota-stopped run older than this is not resumed (it stays failed for the user to re-run),
# so the REST status no longer calls its days waiting either.
QUOTA_RESUME_LOOKBACK_DAYS = 7
# Tags Dagster itself puts on partitioned and backfill runs.
PARTITION_TAG = "dagster/partition"
BACKFILL_TAG = "dagster/backfill"

# --- materialization metadata (written by the assets, read by the sensor and the REST status) --
RACE_COUNT = "race_count"
API_CALLS = "api_calls"
FINISHED_RACE_COUNT = "finished_race_count"
# The API a race day's card comes from when asked per day (KRA health hinges on it).
SOURCE_DAY_API = "API214_1"


# --- run config ------------------------------------------------------------------------------
def race_selection_config(race_numbers: list[int] | None) -> dict[str, Any]:
    """The run config that limits a run to some races (an empty list means the whole day)."""
    return {
        "resources": {RACE_SELECTION_RESOURCE: {"config": {"race_numbers": race_numbers or []}}}
    }


def selected_race_numbers(run_config: dict[str, Any]) -> list[int] | None:
    """The races a run's config selects, sorted; None for the whole day."""
    resources = run_config.get("resources", {}) or {}
    selection = (resources.get(RACE_SELECTION_RESOURCE, {}) or {}).get("config", {}) or {}
    return sorted(selection.get("race_numbers") or []) or None
