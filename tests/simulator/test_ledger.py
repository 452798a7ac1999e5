"""API4_3 raceResult_3: month and day answers from the same world as API214_1, KRA's quirks
included; refusing an API with code 20; the daily quota per API and its 00:00 KST reset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kra_simulator import SIMULATOR_API_KEY, SimulatorServer
from kra_simulator.ledger import MISSING_FIELDS, ORD_SENTINELS
from kra_simulator.traffic import KST

TODAY = "20250610"
LEDGER = "/API4_3/raceResult_3"
RACES = "/API214_1/RaceDetailResult_1"


@pytest.fixture(scope="module")
def simulator() -> Any:
    from kra_simulator import SimulatorConfig

    server = SimulatorServer(SimulatorConfig(seed=3, today=TODAY)).start()
    yield server
    server.stop()


def items(server: SimulatorServer, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a query, following pages; checks the envelope on the way."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        query = {"serviceKey": SIMULATOR_API_KEY, "_type": "json", "pageNo": page, **params}
        document = httpx.get(server.base_url + path, params=query, timeout=10).json()
        assert document["response"]["header"]["resultCode"] == "00"
        body = document["response"]["body"]
        found = body["items"]["item"] if body["items"] else []
        rows.extend(found if isinstance(found, list) else [found])
        if len(rows) >= body["totalCount"] or not found:
            return rows
        page += 1


def test_month_answer_lists_exactly_the_race_days_and_pages(simulator: SimulatorServer) -> None:
    month = items(simulator, LEDGER, meet=3, rc_month="202505", numOfRows=100)
    days = sorted({row["rcDate"] for row in month})
    expected = sorted(
        int(d) for d, meet in simulator.world.race_days("20250501", "20250531") if meet == 3
    )
    assert days == expected
    assert {row["meet"] for row in month} == {"부산경남"}
    assert len(month) > 100  # it took several pages
    assert any(row["ord"] in ORD_SENTINELS for row in month)  # non-starters


def test_ledger_rows_equal_api214_rows_minus_six_fields(simulator: SimulatorServer) -> None:
    ledger = items(simulator, LEDGER, meet=1, rc_date="20250607", numOfRows=1000)
    detail = items(simulator, RACES, meet=1, rc_date="20250607", numOfRows=1000)
    assert len(ledger) == len(detail) > 0
    for row, full in zip(ledger, detail, strict=True):
        assert not MISSING_FIELDS & set(row)
        if full["winOdds"] == 0:
            assert row["ord"] in ORD_SENTINELS and full["ord"] == 0
        shared = set(full) - MISSING_FIELDS - {"ord"}
        assert {k: row[k] for k in shared} == {k: full[k] for k in shared}
    assert any(isinstance(row["hrNo"], int) for row in ledger)  # ids lose their quotes


def test_upcoming_days_carry_placeholders_and_later_days_are_absent(
    simulator: SimulatorServer,
) -> None:
    june = items(simulator, LEDGER, meet=1, rc_month="202506", numOfRows=1000)
    by_day: dict[int, list[dict[str, Any]]] = {}
    for row in june:
        by_day.setdefault(row["rcDate"], []).append(row)
    assert max(by_day) <= 20250613  # today + 3 days
    assert 20250614 not in by_day  # a Seoul Saturday not yet listed
    past = by_day[20250608]
    assert any(row["ord"] for row in past)
    # no Seoul race between today and today+3 in this world: ask Jeju's Friday instead
    upcoming = items(simulator, LEDGER, meet=2, rc_date="20250613", numOfRows=1000)
    assert upcoming
    for row in upcoming:
        assert (row["ord"], row["winOdds"], row["wgHr"], row["track"]) == (0, 0, "0()", " (0%)")


def test_one_row_is_an_object_not_a_list(simulator: SimulatorServer) -> None:
    query = {"serviceKey": SIMULATOR_API_KEY, "_type": "json", "meet": 1}
    query |= {"rc_date": "20250607", "rc_no": 1, "numOfRows": 1}
    body = httpx.get(simulator.base_url + LEDGER, params=query, timeout=10).json()
    assert isinstance(body["response"]["body"]["items"]["item"], dict)


def test_refused_api_answers_code_20_others_still_work(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    server = start_kra_simulator(seed=3, today=TODAY, refused_apis={"API4_3"})
    query = {"serviceKey": SIMULATOR_API_KEY, "_type": "json", "meet": 1, "rc_month": "202505"}
    refused = httpx.get(server.base_url + LEDGER, params=query, timeout=10)
    assert "<returnReasonCode>20</returnReasonCode>" in refused.text
    assert items(server, RACES, meet=1, rc_date="20250607")


def test_daily_quota_per_api_resets_at_midnight_kst(
    start_kra_simulator: Callable[..., SimulatorServer],
) -> None:
    server = start_kra_simulator(seed=3, today=TODAY, daily_quota=2)
    now = [dt.datetime(2025, 6, 10, 23, 59, tzinfo=KST).timestamp()]
    server.app.daily.clock = lambda: now[0]
    query = {"serviceKey": SIMULATOR_API_KEY, "_type": "json", "meet": 1, "rc_date": "20250607"}

    def code(path: str) -> str:
        text = httpx.get(server.base_url + path, params=query, timeout=10).text
        return "22" if "<returnReasonCode>22</returnReasonCode>" in text else "00"

    assert [code(LEDGER), code(LEDGER), code(LEDGER)] == ["00", "00", "22"]
    assert code(RACES) == "00"  # counted per API
    now[0] += 120  # 00:01 KST the next day
    assert code(LEDGER) == "00"
    assert server.app.daily.peak["API4_3"] == 2
