"""Query parameters every race-day route takes, spelled once."""

from typing import Annotated

from fastapi import Query

from kra_pipeline.contract import (
    MEET_CODES,
    MEET_HELP,
    RACE_DATE_PATTERN,
)

RaceDateQuery = Annotated[str, Query(pattern=RACE_DATE_PATTERN, description="Race date YYYYMMDD")]
MeetQuery = Annotated[int, Query(ge=min(MEET_CODES), le=max(MEET_CODES), description=MEET_HELP)]
OptionalRaceDateQuery = Annotated[
    str | None, Query(pattern=RACE_DATE_PATTERN, description="Race date YYYYMMDD")
]
MeetsQuery = Annotated[list[int] | None, Query(description=f"{MEET_HELP}; repeat for several")]


def unknown_meets(meets: list[int] | None) -> str | None:
    """The reason a list of meets is refused, or None when every meet is known."""
    if meets is not None and any(m not in MEET_CODES for m in meets):
        return f"meet must be one of {MEET_HELP}"
    return None
