"""Race days built from the real KRA samples, for store tests."""

from __future__ import annotations

import copy
from typing import Any

from kra_pipeline.races.models import Race, group_races, parse_race_day
from tests.fixtures.samples import load_sample_json

SAMPLE_DATE = "20250523"
SAMPLE_MEET = 3  # 부경


def sample_pages(race_count: int = 1) -> list[dict[str, Any]]:
    """The real API214_1 page (Busan 2025-05-23 R1, finished), repeated as races 1..N."""
    page = load_sample_json("coyasong_examples_api214_response.json")
    items = page["response"]["body"]["items"]["item"]
    page = copy.deepcopy(page)
    page["response"]["body"]["items"]["item"] = [
        {**item, "rcNo": race_no} for race_no in range(1, race_count + 1) for item in items
    ]
    return [page]


def sample_races(race_count: int = 1) -> list[Race]:
    return group_races(parse_race_day(sample_pages(race_count)))


def prerace_races() -> list[Race]:
    """Seoul 2025-06-08 R1 before the off (ord=0, rcTime=0; some leaked sectionals)."""
    page = load_sample_json("coyasong_data_race_1_20250608_1_prerace.json")
    return group_races(parse_race_day([page]))
