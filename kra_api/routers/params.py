"""Query parameters every race-day route takes, spelled once."""

from typing import Annotated

from fastapi import Query

from kra_pipeline.contract import MEET_CODES, MEET_HELP, RACE_DATE_PATTERN

RaceDateQuery = Annotated[str, Query(pattern=RACE_DATE_PATTERN, description="Race date YYYYMMDD")]
MeetQuery = Annotated[int, Query(ge=min(MEET_CODES), le=max(MEET_CODES), description=MEET_HELP)]
