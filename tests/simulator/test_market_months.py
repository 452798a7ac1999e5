"""The month-keyed market services of the simulator: pool grids (API28_1, API29_1, API30_1) and
pool sales (API179_1), served the way the live-verified archive describes them."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from kra_simulator import SIMULATOR_API_KEY, SimulatorConfig, SimulatorServer
from kra_simulator.market import ODDS_CAP

TODAY = "20250701"
SEOUL_DAY = "20250614"
GRID_PATHS = {
    "API28_1": "/API28_1/singlePredictionRateInfo_1",
    "API29_1": "/API29_1/doublePredictionRateInfo_1",
    "API30_1": "/API30_1/triplePredictionRateInfo_1",
}
SALES_PATH = "/API179_1/salesAndDividendRate_1"
LEG_FIELDS = {
    "API28_1": ("chulNo",),
    "API29_1": ("chulNo1", "chulNo2"),
    "API30_1": ("chulNo", "chulNo2", "chulNo3"),
}
SHORT = {"단식": "WIN", "연식": "PLC", "복식": "QNL", "쌍식": "EXA", "복연": "QPL"}
SHORT |= {"삼복": "TLA", "삼쌍": "TRI"}
ORDERED = {"WIN", "PLC", "EXA", "TRI"}
SHARE = {"WIN": 0.8, "QNL": 0.73, "EXA": 0.73, "TLA": 0.73, "TRI": 0.73}


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(today=TODAY)) as running:
        yield running


def answer(server: SimulatorServer, path: str, **params: Any) -> tuple[list[dict], int]:
    query = {"serviceKey": SIMULATOR_API_KEY, "_type": "json", "numOfRows": 100_000, **params}
    document = httpx.get(server.base_url + path, params=query, timeout=120).json()["response"]
    assert document["header"]["resultCode"] == "00"
    body = document["body"]
    items = [] if body["items"] == "" else body["items"]["item"]
    return (items if isinstance(items, list) else [items]), body["totalCount"]


def grid_rows(server: SimulatorServer, api: str, **params: Any) -> list[dict]:
    return answer(server, GRID_PATHS[api], **params)[0]


def legs_of(api: str, item: dict) -> tuple[int, ...]:
    return tuple(item[name] for name in LEG_FIELDS[api] if item[name])


def combinations(pool: str, n: int) -> int:
    counts = {"WIN": n, "PLC": n, "QNL": math.comb(n, 2), "EXA": math.perm(n, 2)}
    counts |= {"QPL": math.comb(n, 2), "TLA": math.comb(n, 3), "TRI": math.perm(n, 3)}
    return counts[pool]


def test_a_day_s_grids_cover_every_pool_over_the_starters_only(server: SimulatorServer) -> None:
    card = server.world.race_day_items(1, SEOUL_DAY)
    starters: dict[int, set[int]] = defaultdict(set)
    scratched = set()
    for item in card:
        if item["winOdds"]:
            starters[item["rcNo"]].add(item["chulNo"])
        else:
            scratched.add((item["rcNo"], item["chulNo"]))
    assert scratched, "the day should have a scratched runner to leave out"
    truth = {(c.race_no, c.pool, c.legs): c.odds for c in server.world.pool_grid(1, SEOUL_DAY)}
    served: dict[tuple[int, str, tuple[int, ...]], Any] = {}
    for api in GRID_PATHS:
        for item in grid_rows(server, api, meet=1, rc_date=SEOUL_DAY):
            legs = legs_of(api, item)
            assert set(legs) <= starters[item["rcNo"]]
            served[(item["rcNo"], item["pool"], legs)] = item["odds"]
    assert served == truth
    per_race_pool = Counter((race, pool) for race, pool, _ in served)
    for (race, pool), rows in per_race_pool.items():
        assert rows == combinations(pool, len(starters[race]))
    assert {pool for _, pool in per_race_pool} == {"WIN", "PLC", "QNL", "EXA", "QPL", "TLA", "TRI"}


def test_the_pool_parameter_narrows_api29_1_and_api30_1(server: SimulatorServer) -> None:
    every = grid_rows(server, "API29_1", meet=1, rc_date=SEOUL_DAY)
    assert {item["pool"] for item in every} == {"QNL", "EXA", "QPL"}
    exacta = grid_rows(server, "API29_1", meet=1, rc_date=SEOUL_DAY, pool="EXA")
    assert exacta == [item for item in every if item["pool"] == "EXA"]
    assert {
        i["pool"] for i in grid_rows(server, "API30_1", meet=1, rc_date=SEOUL_DAY, pool="TRI")
    } == {"TRI"}
    assert grid_rows(server, "API30_1", meet=1, rc_date=SEOUL_DAY, pool="WIN") == []


def test_sales_pay_the_grid_price_of_the_result_with_whole_tickets(server: SimulatorServer) -> None:
    rows, _ = answer(server, SALES_PATH, meet=1, rc_date=SEOUL_DAY)
    card = server.world.race_day_items(1, SEOUL_DAY)
    order: dict[int, list[int]] = defaultdict(list)
    for item in sorted(card, key=lambda i: i["ord"]):
        if item["ord"]:
            order[item["rcNo"]].append(item["chulNo"])
    prices = {(c.race_no, c.pool, c.legs): c.odds for c in server.world.pool_grid(1, SEOUL_DAY)}
    assert Counter(row["rcNo"] for row in rows) == dict.fromkeys(order, 7)
    for row in rows:
        pool = SHORT[row["pool"]]
        assert row["meet"] == 1 and row["rcDate"] == int(SEOUL_DAY)
        assert isinstance(row["amt"], int) and row["amt"] % 100 == 0
        paid = [
            (tuple(ord(c) - 0x2460 + 1 for c in gates), float(dividend))
            for gates, dividend in re.findall(r"([①-⑳]+)-([0-9.]+)", row["odds"])
        ]
        assert paid, row
        first = order[row["rcNo"]]
        assert paid[0][0][0] == first[0]
        for legs, dividend in paid:
            price = prices[(row["rcNo"], pool, legs if pool in ORDERED else tuple(sorted(legs)))]
            assert dividend == price or (price == ODDS_CAP and dividend > ODDS_CAP)
        if pool in SHARE:
            tickets = SHARE[pool] * row["amt"] / (100 * paid[0][1])
            assert abs(tickets - round(tickets)) <= 0.5 / paid[0][1] + 1e-9


def test_no_rows_before_a_pool_existed(server: SimulatorServer) -> None:
    may_2016 = grid_rows(server, "API30_1", meet=2, rc_month="201605")
    assert may_2016 and {item["pool"] for item in may_2016} == {"TLA"}
    june_2016 = grid_rows(server, "API30_1", meet=2, rc_month="201606", pool="TRI")
    assert min(item["rcDate"] for item in june_2016) >= 20160610
    assert grid_rows(server, "API29_1", meet=1, rc_month="200612") == []
    assert {i["pool"] for i in grid_rows(server, "API28_1", meet=1, rc_month="200612")} == {
        "WIN",
        "PLC",
    }
    assert grid_rows(server, "API28_1", meet=3, rc_month="200508") == []
    assert answer(server, SALES_PATH, meet=3, rc_month="200508")[0] == []
    assert {SHORT[r["pool"]] for r in answer(server, SALES_PATH, meet=2, rc_month="201605")[0]} == {
        "WIN",
        "PLC",
        "QNL",
        "EXA",
        "QPL",
        "TLA",
    }


def test_a_test_record_day_has_grids_and_nothing_else(server: SimulatorServer) -> None:
    day = "20160315"  # a Tuesday: KRA tried its trifecta tote in Seoul and Jeju
    for meet, races in ((1, 5), (2, 3)):
        triples = grid_rows(server, "API30_1", meet=meet, rc_date=day)
        assert {item["pool"] for item in triples} == {"TRI"}  # before its regular sales
        assert {item["rcNo"] for item in triples} == set(range(1, races + 1))
    assert grid_rows(server, "API30_1", meet=3, rc_date=day) == []
    assert grid_rows(server, "API28_1", meet=1, rc_date=day) == []  # only the pool tried
    assert answer(server, SALES_PATH, meet=1, rc_date=day)[0] == []
    card, _ = answer(server, "/API214_1/RaceDetailResult_1", meet=1, rc_date=day)
    sheet, _ = answer(server, "/API26_2/entrySheet_2", meet=1, rc_date=day)
    assert card == [] and sheet == []


def test_a_month_larger_than_a_page_comes_in_pages_of_the_asked_size(
    server: SimulatorServer,
) -> None:
    size = 6_000
    month = {"meet": 2, "rc_month": "201603", "pool": "TLA", "numOfRows": size}
    first, total = answer(server, GRID_PATHS["API30_1"], **month)
    second, _ = answer(server, GRID_PATHS["API30_1"], **month, pageNo=2)
    assert size < total <= 2 * size and len(first) == size and len(second) == total - size
    keys = {(i["rcDate"], i["rcNo"], legs_of("API30_1", i)) for i in first + second}
    assert len(keys) == total


@pytest.mark.parametrize("api", [*GRID_PATHS, "API179_1"])
@pytest.mark.parametrize(("setting", "code"), [("unserved_apis", "12"), ("refused_apis", "20")])
def test_each_market_api_can_be_withdrawn_or_refused(
    start_kra_simulator: Callable[..., SimulatorServer], api: str, setting: str, code: str
) -> None:
    server = start_kra_simulator(today=TODAY, **{setting: {api}})
    path = GRID_PATHS.get(api, SALES_PATH)
    query = {"serviceKey": SIMULATOR_API_KEY, "_type": "json", "meet": 1, "rc_date": SEOUL_DAY}
    refused = httpx.get(server.base_url + path, params=query, timeout=60)
    assert f"<returnReasonCode>{code}</returnReasonCode>" in refused.text
    other = GRID_PATHS["API28_1"] if api != "API28_1" else SALES_PATH
    header = httpx.get(server.base_url + other, params=query, timeout=60).json()["response"]
    assert header["header"]["resultCode"] == "00"
