"""API26_2 entry sheets: the simulator publishes them about two days ahead with KRA's quirks,
and the client types them (post time out of Korean text, an unrated horse's "-")."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import pytest

from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.upcoming import parse_entry_sheet, post_time
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer
from kra_simulator.entry_sheet import PUBLISHED_DAYS_AHEAD

TODAY = "20250604"  # a Wednesday: the weekend's sheets come out over the next two days


@pytest.mark.parametrize(
    ("text", "expected"),
    [("출발 :10:45", "10:45"), ("출발 : 10: 45", "10:45"), ("9:05", "09:05"), ("-", None)],
)
def test_the_post_time_is_read_out_of_the_text(text: str, expected: str | None) -> None:
    assert post_time(text) == expected


def test_a_row_is_typed_and_an_unrated_horse_has_no_rating() -> None:
    item = {"rcDate": 20250606, "rcNo": 3, "chulNo": 5, "hrNo": 47543, "rating": "-",
            "jkNo": 80310, "wgBudam": "54.5", "stTime": "출발 :13:10", "rcCntT": 36}  # fmt: skip
    (row,) = parse_entry_sheet([item])
    assert (row.race_date, row.race_no, row.gate_no) == ("20250606", 3, 5)
    assert (row.horse_no, row.jockey_no, row.rating) == ("0047543", "080310", None)
    assert (row.carried_weight, row.post_time, row.raw["rcCntT"]) == (54.5, "13:10", 36)
    with pytest.raises(ValueError, match="rcNo"):
        parse_entry_sheet([{"rcDate": 20250606, "chulNo": 1}])


def test_the_simulator_publishes_sheets_two_days_ahead_only(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    server = start_kra_simulator(today=TODAY)
    first = dt.date(2025, 6, 4)
    settings = KraSettings(api_base_url=server.base_url, api_key=SIMULATOR_API_KEY)
    published, unpublished = 0, 0
    with KraClient(settings) as client:
        for ahead in range(0, 5):
            day = (first + dt.timedelta(days=ahead)).strftime("%Y%m%d")
            for meet in (1, 2, 3):
                items = client.fetch_entry_sheet(meet, day)
                racing = server.world.race_day_items(meet, day)
                if ahead <= PUBLISHED_DAYS_AHEAD:
                    assert len(items) == len(racing)
                    published += len(items)
                    entries = Counter(i["rcNo"] for i in racing)
                    assert all(i["dusu"] == entries[i["rcNo"]] for i in items)
                    assert all(i["stTime"].startswith("출발 :") for i in items)
                    assert {i["meet"] for i in items} <= {"서울", "제주", "부산경남"}
                else:
                    assert items == []
                    unpublished += len(racing)
    assert published > 0 and unpublished > 0
