"""Request and response bodies of /api/v2; field names follow the original v2 API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from kra_pipeline.contract import (
    MAX_RACE_NO,
    MEET_CODES,
    MEET_HELP,
)

JobStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]
# "waiting": a spent daily quota stopped the day's run; it resumes after the reset by itself.
DayStatus = Literal["pending", "running", "completed", "failed", "waiting"]


# How much of a caller's input an error message may quote (a 100 KB input is not echoed).
QUOTE_LIMIT = 40


def clip(value: str) -> str:
    """The start of an input, for an error message: enough to recognise it, never all of it."""
    return value if len(value) <= QUOTE_LIMIT else f"{value[:QUOTE_LIMIT]}… ({len(value)} chars)"


def check_race_date(value: str) -> str:
    """YYYYMMDD and a real calendar day; the message says which part is wrong."""
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        raise ValueError(
            f"date must be 8 ASCII digits YYYYMMDD (e.g. 20250622), got {clip(value)!r}"
        )
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise ValueError(f"date {value} is not a calendar day: {exc}") from exc
    return value


class CollectionOptions(BaseModel):
    """What to do beyond the race card."""

    model_config = ConfigDict(extra="forbid")

    enrich: bool = Field(True, description="Fetch horse, jockey and trainer details")
    get_results: bool = Field(False, description="Wait for and keep post-race results")


class CollectionRequest(BaseModel):
    """One race day (date × meet), optionally restricted to some races."""

    model_config = ConfigDict(extra="forbid")

    date: str = Field(..., description="Race date YYYYMMDD", examples=["20250622"])
    meet: StrictInt = Field(..., ge=min(MEET_CODES), le=max(MEET_CODES), description=MEET_HELP)
    race_numbers: list[StrictInt] | None = Field(
        None,
        description=f"Races to collect (1..{MAX_RACE_NO}); omit for the whole day",
        max_length=MAX_RACE_NO,
    )
    options: CollectionOptions = Field(default_factory=CollectionOptions)

    @field_validator("date")
    @classmethod
    def _real_day(cls, value: str) -> str:
        return check_race_date(value)

    @field_validator("race_numbers")
    @classmethod
    def _races_in_range(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("race_numbers must not be empty: omit it to collect the whole day")
        wrong = [n for n in value if not 1 <= n <= MAX_RACE_NO]
        if wrong:
            raise ValueError(f"race numbers must be between 1 and {MAX_RACE_NO}; got {wrong}")
        return sorted(set(value))


class RaceResultRequest(BaseModel):
    """One race of a collected race day."""

    model_config = ConfigDict(extra="forbid")

    date: str = Field(..., description="Race date YYYYMMDD", examples=["20250622"])
    meet: StrictInt = Field(..., ge=min(MEET_CODES), le=max(MEET_CODES), description=MEET_HELP)
    race_no: StrictInt = Field(..., ge=1, le=MAX_RACE_NO, description="Race number of the day")

    @field_validator("date")
    @classmethod
    def _real_day(cls, value: str) -> str:
        return check_race_date(value)


class PlacedRunner(BaseModel):
    position: int
    gate_no: int
    horse_no: str | None
    horse_name: str | None
    jockey_name: str | None
    finish_time: float | None
    win_odds: float | None = Field(None, description="Final win odds on the card")
    place_odds: float | None = Field(None, description="Final place odds on the card")


class RaceResult(BaseModel):
    date: str
    meet: int
    race_no: int
    top_three: list[PlacedRunner] = Field(..., description="In finishing order (ties share)")
    dividends: list[dict[str, Any]] | None = Field(
        None, description="What each pool paid (API301); null until the dividends are fetched"
    )


class BackfillRequest(BaseModel):
    """A range of race days to (re)collect as one Dagster backfill, or (market=true) the
    market history of the race days held in that range, by meet × month."""

    model_config = ConfigDict(extra="forbid")

    date_from: str | None = Field(
        None, examples=["20250601"], description="Required unless market=true (then 20150101)"
    )
    date_to: str | None = Field(
        None, examples=["20250630"], description="Required unless market=true (then today)"
    )
    meets: list[StrictInt] = Field(
        default_factory=lambda: list(MEET_CODES), min_length=1, max_length=len(MEET_CODES)
    )
    dry_run: StrictBool = Field(False, description="Answer only the estimate; launch nothing")
    confirm: StrictBool = Field(
        False, description="Needed past API_BACKFILL_CONFIRM_PARTITIONS partitions"
    )
    market: StrictBool = Field(
        False,
        description="The market history (pool grids API28_1/29_1/30_1, sales API179_1) of the "
        "race days the store holds in the range, one partition per meet × month",
    )
    spread: StrictBool = Field(
        False,
        description="market=true only: launch even when an API's estimate exceeds what is left "
        "of today's quota; runs the quota stops resume after 00:00 KST",
    )

    @field_validator("date_from", "date_to")
    @classmethod
    def _real_days(cls, value: str | None) -> str | None:
        return None if value is None else check_race_date(value)

    @field_validator("meets")
    @classmethod
    def _known_meets(cls, value: list[int]) -> list[int]:
        wrong = [m for m in value if m not in MEET_CODES]
        if wrong:
            raise ValueError(
                f"meets must be a subset of {list(MEET_CODES)} ({MEET_HELP}); got {wrong}"
            )
        return sorted(set(value))

    @model_validator(mode="after")
    def _ordered(self) -> BackfillRequest:
        if not self.market:
            missing = [name for name in ("date_from", "date_to") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"{' and '.join(missing)} (YYYYMMDD) required for a race-day backfill; only "
                    "the market history (market=true) defaults to 20150101 → today"
                )
            if self.spread:
                raise ValueError(
                    "spread applies to the market history only (market=true); a race-day "
                    "backfill always spreads over the daily quota"
                )
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(
                f"date_from {self.date_from} is after date_to {self.date_to}: swap them"
            )
        return self


class CollectionAccepted(BaseModel):
    job_id: str
    status: Literal["accepted"] = "accepted"
    message: str = "Collection job started"
    webhook_url: str
    estimated_time: int = Field(..., description="Expected seconds until done")


class CollectionResult(BaseModel):
    status: Literal["success", "partial"]
    message: str
    job_id: str
    data: list[dict[str, Any]]


class BackfillCost(BaseModel):
    """What a backfill is expected to cost, from the pipeline's own planning rules."""

    partitions: int
    kra_calls: dict[str, int] = Field(..., description="Expected KRA calls per API")
    kra_calls_total: int
    daily_quota: dict[str, int] = Field(..., description="Calls a KST day per API (0: none)")
    quota_days: float = Field(..., description="Days of daily quota the busiest API needs")
    races: int | None = Field(None, description="market=true: the held races it covers")
    extra_pages: dict[str, int] | None = Field(
        None, description="market=true: calls per API past each query's first page"
    )
    left_today: dict[str, int] | None = Field(
        None, description="market=true: what is left of each API's quota today"
    )


class BackfillEstimated(BaseModel):
    status: Literal["estimate"] = "estimate"
    estimate: BackfillCost
    needs_confirm: bool = Field(..., description="Whether launching it needs confirm=true")
    message: str


class BackfillAccepted(BaseModel):
    job_id: str = Field(..., description="The Dagster backfill id")
    backfill_id: str
    type: Literal["backfill"] = "backfill"
    status: Literal["accepted"] = "accepted"
    partitions: int
    estimate: BackfillCost | None = None
    message: str


class CollectionStatus(BaseModel):
    date: str
    meet: int
    total_races: int
    collected_races: int
    enriched_races: int
    status: DayStatus
    collection_status: DayStatus
    enrichment_status: DayStatus
    result_status: Literal["pending", "partial", "completed"]
    last_updated: datetime | None
    waiting_until: datetime | None = Field(
        None, description="When waiting: the daily quota's reset, after which the day resumes"
    )


class JobSummary(BaseModel):
    job_id: str
    type: str
    status: JobStatus
    job_name: str
    partition: str | None
    launched_by: Literal["api", "dagster"]
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None


class JobList(BaseModel):
    jobs: list[JobSummary]
    total: int
    limit: int
    offset: int


class JobLog(BaseModel):
    timestamp: datetime
    level: str
    event: str | None
    step: str | None
    message: str


class JobDetail(JobSummary):
    progress: int = Field(..., ge=0, le=100)
    current_step: str | None
    parameters: dict[str, Any]
    result: dict[str, Any] | None
    error_message: str | None
    logs: list[JobLog]


class Message(BaseModel):
    message: str


class RaceList(BaseModel):
    date: str | None = Field(None, description="The day, when one day of one meet was asked")
    meet: int | None = Field(None, description="The meet, when one day of one meet was asked")
    date_from: str
    date_to: str
    meets: list[int]
    total: int = Field(..., description="Races in the whole selection, all pages")
    limit: int
    offset: int
    count: int = Field(..., description="Races on this page")
    races: list[dict[str, Any]]
