"""GET /api/v2/races: one day or a range of days and meets, paged, with scratch reasons,
track and the dividends each pool paid."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kra_pipeline.contract import (
    KST,
)
from kra_pipeline.kra.market.pools import DIVIDENDS_API, parse_pool_rows
from kra_pipeline.kra.track import parse_track
from kra_pipeline.kra.upcoming import parse_entry_sheet
from kra_pipeline.races.fields import split_track
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.market import replace_pool_combinations
from kra_pipeline.store.scratches import replace_scratches
from kra_pipeline.store.track import replace_track_reports
from kra_pipeline.store.upcoming import keep_first_seen
from kra_simulator.world import SimulatedWorld
from tests.api.conftest import HEADERS_A
from tests.form.history import TODAY, simulated_race_days, write_race_days

SPAN = ("20250103", "20250112")
MEETS = (1, 2)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Race days of two meets over ten days; the first day of meet 1 also has its dividends
    and scratches, as the market and scratch assets store them."""
    url = f"sqlite:///{tmp_path_factory.mktemp('races') / 'races.sqlite'}"
    engine = get_engine(url)
    days = {}
    for meet in MEETS:
        days.update(simulated_race_days(*SPAN, meet=meet))
    write_race_days(engine, days)
    write_race_days(engine, simulated_race_days(TODAY, TODAY, meet=1))  # not run yet
    priced_day = min(day for day, meet in days if meet == 1)
    world = SimulatedWorld(today=TODAY)
    grid = parse_pool_rows(world.dividend_items(1, priced_day))
    replace_pool_combinations(engine, priced_day, 1, DIVIDENDS_API, grid.combinations)
    scratches = world.scratch_items(1, priced_day)
    replace_scratches(engine, priced_day, 1, scratches)
    replace_track_reports(engine, priced_day, 1, parse_track(world.track_items(1, priced_day)))
    dispose_engines()
    keys = sorted(
        (day, meet, race.race_no) for (day, meet), races in days.items() for race in races
    )
    prices = {(x.race_no, x.pool, x.legs): x.odds for x in grid.combinations}
    return {
        "url": url,
        "keys": keys,
        "priced_day": priced_day,
        "prices": prices,
        "scratches": {(s["rcNo"], s["chulNo"]): s["reason"] for s in scratches},
    }


@pytest.fixture
def api(client: TestClient, stored: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("KRA_DATABASE_URL", stored["url"])
    return client


def _get(api: TestClient, **params: Any) -> Any:
    response = api.get("/api/v2/races", params=params, headers=HEADERS_A)
    assert response.status_code == 200, response.text
    return response.json()


def test_pages_of_a_range_cover_every_race_once_in_order(
    api: TestClient, stored: dict[str, Any]
) -> None:
    seen, offset = [], 0
    while True:
        page = _get(api, date_from=SPAN[0], date_to=SPAN[1], limit=7, offset=offset)
        assert page["total"] == len(stored["keys"])
        assert page["count"] == len(page["races"]) <= 7
        if not page["races"]:
            break
        seen += [(r["race_date"], r["meet"], r["race_no"]) for r in page["races"]]
        offset += 7
    assert seen == stored["keys"]
    assert page["date"] is None and page["meets"] == [1, 2, 3]


def test_meets_narrow_the_range_and_one_day_keeps_the_original_answer(
    api: TestClient, stored: dict[str, Any]
) -> None:
    jeju = _get(api, date_from=SPAN[0], date_to=SPAN[1], meet=2, limit=500)
    assert [(r["race_date"], r["race_no"]) for r in jeju["races"]] == [
        (day, race_no) for day, meet, race_no in stored["keys"] if meet == 2
    ]
    day = _get(api, date=stored["priced_day"], meet=1)
    assert (day["date"], day["meet"]) == (stored["priced_day"], 1)
    expected = [no for d, m, no in stored["keys"] if (d, m) == (stored["priced_day"], 1)]
    assert [r["race_no"] for r in day["races"]] == expected == list(range(1, len(expected) + 1))
    assert all(race["entrants"] for race in day["races"])


def test_a_race_carries_what_each_pool_paid_its_scratches_and_its_track(
    api: TestClient, stored: dict[str, Any]
) -> None:
    races = _get(api, date=stored["priced_day"], meet=1)["races"]
    for race in races:
        assert (race["track_condition"], race["track_moisture"]) == split_track(race["track"])
        report = race["track_report"]  # API189_1 agrees with the card's track text
        assert (report["condition"], report["moisture"]) == split_track(race["track"])
        order = sorted(
            (e for e in race["entrants"] if e["result"] and e["result"]["finish_position"]),
            key=lambda e: e["result"]["finish_position"],
        )
        paid = {(d["pool"], tuple(d["legs"])): d["odds"] for d in race["dividends"]}
        winner = order[0]["gate_no"]
        assert paid[("WIN", (winner,))] == stored["prices"][(race["race_no"], "WIN", (winner,))]
        exacta = (order[0]["gate_no"], order[1]["gate_no"])
        assert paid[("EXA", exacta)] == stored["prices"][(race["race_no"], "EXA", exacta)]
        assert ("QNL", tuple(sorted(exacta))) in paid
        for entrant in race["entrants"]:
            reason = stored["scratches"].get((race["race_no"], entrant["gate_no"]))
            assert entrant["scratch_reason"] == reason
    assert any(stored["scratches"]), "the simulated day should have a scratch"
    other_day = _get(api, date_from=SPAN[0], date_to=SPAN[1], meet=2, limit=1)["races"][0]
    assert other_day["dividends"] is None  # not fetched yet, not "paid nothing"
    assert other_day["track_report"] is None


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"date": "20250103", "date_from": "20250103"}, "not both"),
        ({}, "give date"),
        ({"date_from": "20250112", "date_to": "20250103"}, "swap"),
        ({"date": "20250103", "meet": 7}, "meet must be one of"),
        ({"date": "20250230"}, "calendar day"),
        ({"date_from": "20140101", "date_to": "20140102"}, "2015"),
        ({"date": "20250103", "limit": 0}, "limit"),
    ],
)
def test_bad_selections_are_a_422_with_the_reason(
    api: TestClient, params: dict[str, Any], reason: str
) -> None:
    response = api.get("/api/v2/races", params=params, headers=HEADERS_A)
    assert response.status_code == 422, response.text
    assert reason in response.text


def _result(api: TestClient, **body: Any) -> Any:
    return api.post("/api/v2/collection/result", json=body, headers=HEADERS_A)


def test_the_result_of_a_race_is_its_top_three_and_what_the_pools_paid(
    api: TestClient, stored: dict[str, Any]
) -> None:
    day = stored["priced_day"]
    race = _get(api, date=day, meet=1)["races"][0]
    answer = _result(api, date=day, meet=1, race_no=race["race_no"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    by_position = sorted(
        (e["result"]["finish_position"], e["gate_no"])
        for e in race["entrants"]
        if e["result"] and e["result"]["finish_position"] and e["result"]["finish_position"] <= 3
    )
    assert [(r["position"], r["gate_no"]) for r in body["top_three"]] == by_position
    assert [r["position"] for r in body["top_three"]] == [1, 2, 3]
    winner = body["top_three"][0]["gate_no"]
    win = [d for d in body["dividends"] if d["pool"] == "WIN"]
    assert win == [{"pool": "WIN", "legs": [winner], "odds": win[0]["odds"], "is_capped": False}]
    assert win[0]["odds"] == stored["prices"][(race["race_no"], "WIN", (winner,))]

    unpriced = stored["keys"][-1]  # meet 2: results stored, dividends not fetched
    other = _result(api, date=unpriced[0], meet=unpriced[1], race_no=unpriced[2])
    assert other.status_code == 200 and other.json()["dividends"] is None


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ({"date": TODAY, "meet": 1, "race_no": 1}, 409, "no results stored yet"),
        ({"date": "20250104", "meet": 3, "race_no": 1}, 404, "collect the day first"),
        ({"date": "20250103", "meet": 1, "race_no": 0}, 422, "race_no"),
        ({"date": "20250103", "meet": 1}, 422, "race_no"),
        ({"date": "20140103", "meet": 1, "race_no": 1}, 422, "2015"),
    ],
)
def test_a_result_that_cannot_be_given_says_why(
    api: TestClient, body: dict[str, Any], code: int, says: str
) -> None:
    answer = _result(api, **body)
    assert answer.status_code == code, answer.text
    assert says in answer.text


def test_an_upcoming_day_shows_its_entry_sheet_card_as_first_seen(
    api: TestClient, stored: dict[str, Any]
) -> None:
    # A world whose Wednesday has the Friday sheets out; the route serves whatever was kept.
    world = SimulatedWorld(today="20250604")
    race_date, meet = world.race_days("20250606", "20250606")[0]
    assert _get(api, date=race_date, meet=meet)["races"] == []  # nothing collected yet
    empty = api.get("/api/v2/races/upcoming", params={"date": race_date, "meet": meet},
                    headers=HEADERS_A)  # fmt: skip
    assert empty.status_code == 200 and empty.json()["races"] == []
    rows = parse_entry_sheet(world.entry_sheet_items(meet, race_date))
    keep_first_seen(get_engine(stored["url"]), race_date, meet, rows)
    answer = api.get(
        "/api/v2/races/upcoming", params={"date": race_date, "meet": meet}, headers=HEADERS_A
    )
    assert answer.status_code == 200, answer.text
    races = answer.json()["races"]
    assert sum(len(r["entrants"]) for r in races) == len(rows) > 0
    assert {r["source"] for r in races} == {"API26_2"}
    assert [r["race_no"] for r in races] == sorted({row.race_no for row in rows})
    beyond = (datetime.now(KST).date() + timedelta(days=4)).strftime("%Y%m%d")
    refused = api.get(
        "/api/v2/races/upcoming", params={"date": beyond, "meet": 1}, headers=HEADERS_A
    )
    assert refused.status_code == 422 and "3 days after it" in refused.text
