"""Pool rows from API160_1 and API301, in JSON and XML, normalise to the simulator's grid."""

import httpx
import pytest

from kra_pipeline.kra.envelope import parse_body
from kra_pipeline.kra.market.pools import parse_pool_rows
from kra_simulator import SIMULATOR_API_KEY

DAY, SEOUL = "20250614", 1


@pytest.mark.parametrize(
    ("api", "as_json"),
    [
        ("API160_1/integratedInfo_1", True),
        ("API160_1/integratedInfo_1", False),  # XML renders every value as text
        ("API301/Dividend_rate_total", True),
    ],
)
def test_json_and_xml_answers_give_the_same_grid(start_kra_simulator, api, as_json):
    server = start_kra_simulator(today="20250620")
    params = {"serviceKey": SIMULATOR_API_KEY, "meet": SEOUL, "rc_date": DAY, "numOfRows": 50000}
    if as_json:
        params["_type"] = "json"
    response = httpx.get(f"{server.base_url}/{api}", params=params, timeout=60)
    grid = parse_pool_rows(parse_body(response.content, api).items)
    truth = {(x.race_no, x.pool, x.legs): x.odds for x in server.world.pool_grid(SEOUL, DAY)}
    assert {x.key: x.odds for x in grid.combinations} == truth
    assert grid.conflicts == 0 and not grid.unknown_pools
    assert (grid.duplicates > 0) == api.startswith("API301")


def test_placeholders_before_the_race_are_dropped(start_kra_simulator):
    server = start_kra_simulator(today="20250620")
    items = server.world.confirmed_odds_items(SEOUL, "20250621")
    assert items and all(item["odds"] == 0 for item in items)
    grid = parse_pool_rows(items)
    assert grid.combinations == [] and grid.placeholders == len(items)


def test_a_row_with_the_wrong_legs_is_refused():
    row = {
        "pool": "쌍승식",
        "chulNo": 3,
        "chulNo2": 3,
        "meet": "서울",
        "rcDate": 20250614,
        "rcNo": 1,
        "odds": 5.0,
    }
    with pytest.raises(ValueError, match="EXA combination names 2 different gate"):
        parse_pool_rows([row])
