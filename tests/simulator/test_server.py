"""The simulator answers over HTTP the way the KRA gateway does, quirks and failures included."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from kra_simulator import SIMULATOR_API_KEY, SimulatorConfig, SimulatorServer
from kra_simulator.cli import simulator_command
from tests.fixtures.samples import load_sample_text

TODAY = "20250610"
SEOUL_SUNDAY = "20250608"
RACES = "/API214_1/RaceDetailResult_1"
HORSES = "/API8_2/raceHorseInfo_2"
JOCKEYS = "/API12_1/jockeyInfo_1"
TRAINERS = "/API19_1/trainerInfo_1"
PLANS = "/API72_2/racePlan_2"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def simulator(start_kra_simulator: Callable[..., SimulatorServer]) -> SimulatorServer:
    return start_kra_simulator(seed=3, today=TODAY)


def parse_xml(data: bytes) -> ET.Element:
    """Parse an answer of our own loopback simulator or a committed sample: trusted input."""
    return ET.fromstring(data)  # noqa: S314


def get(server: SimulatorServer, path: str, **params: Any) -> httpx.Response:
    query = {"serviceKey": SIMULATOR_API_KEY, **params}
    return httpx.get(server.base_url + path, params=query, timeout=10)


def body(response: httpx.Response) -> dict[str, Any]:
    document = response.json()["response"]
    assert document["header"] == {"resultCode": "00", "resultMsg": "NORMAL SERVICE."}
    return document["body"]


def items_of(page: dict[str, Any]) -> list[dict[str, Any]]:
    if page["items"] == "":
        return []
    item = page["items"]["item"]
    return item if isinstance(item, list) else [item]


def test_default_page_is_ten_rows_and_pages_cover_the_day(simulator: SimulatorServer) -> None:
    expected = simulator.world.race_day_items(1, SEOUL_SUNDAY)
    first = body(get(simulator, RACES, meet=1, rc_date=SEOUL_SUNDAY, _type="json"))
    assert (first["numOfRows"], first["pageNo"], first["totalCount"]) == (10, 1, len(expected))
    assert items_of(first) == expected[:10]
    collected: list[dict[str, Any]] = []
    page_no = 1
    while len(collected) < len(expected):
        page = body(get(simulator, RACES, meet=1, rc_date=SEOUL_SUNDAY, _type="json",
                        numOfRows=37, pageNo=page_no))  # fmt: skip
        collected += items_of(page)
        page_no += 1
    assert collected == expected
    past_end = body(get(simulator, RACES, meet=1, rc_date=SEOUL_SUNDAY, _type="json",
                        numOfRows=37, pageNo=page_no))  # fmt: skip
    assert past_end["items"] == "" and past_end["totalCount"] == len(expected)


def test_one_record_is_an_object_several_a_list(simulator: SimulatorServer) -> None:
    horse_no = simulator.world.race_day_items(1, SEOUL_SUNDAY)[0]["hrNo"]
    one = body(get(simulator, HORSES, hr_no=str(horse_no).zfill(7), _type="json"))
    assert one["items"]["item"] == simulator.world.horse_item(horse_no)
    assert one["totalCount"] == 1
    several = body(get(simulator, JOCKEYS, meet=2, _type="json", numOfRows=100))
    assert several["items"]["item"] == simulator.world.jockey_items(2)


def test_filters_select_race_entrant_and_person(simulator: SimulatorServer) -> None:
    day = simulator.world.race_day_items(3, "20250606")
    race_two = body(get(simulator, RACES, meet=3, rc_date="20250606", rc_no=2, _type="json",
                        numOfRows=50))  # fmt: skip
    assert items_of(race_two) == [i for i in day if i["rcNo"] == 2]
    bare = str(int(str(day[0]["hrNo"])))  # without leading zeros
    by_horse = body(get(simulator, RACES, rc_date="20250606", hr_no=bare, _type="json"))
    assert items_of(by_horse) == [day[0]]
    trainer = body(get(simulator, TRAINERS, tr_no=str(day[0]["trNo"]).zfill(6), _type="json"))
    assert items_of(trainer) == [simulator.world.trainer_item(day[0]["trNo"])]
    plan = body(get(simulator, PLANS, meet=3, rc_date="20250606", _type="json", numOfRows=20))
    assert items_of(plan) == simulator.world.race_plan_items(3, "20250606")


def test_no_racing_or_no_such_race_gives_empty_items(simulator: SimulatorServer) -> None:
    monday = body(get(simulator, RACES, meet=1, rc_date="20250609", _type="json"))
    assert (monday["items"], monday["totalCount"]) == ("", 0)
    race_99 = body(get(simulator, RACES, meet=1, rc_date=SEOUL_SUNDAY, rc_no=99, _type="json"))
    assert (race_99["items"], race_99["totalCount"]) == ("", 0)
    no_horse = body(get(simulator, HORSES, hr_no="9999999", _type="json"))
    assert no_horse["items"] == ""


def test_unknown_parameters_are_ignored_so_the_answer_is_unfiltered(
    simulator: SimulatorServer,
) -> None:
    typo = body(get(simulator, RACES, meet=1, rcDate=SEOUL_SUNDAY, _type="json"))
    whole_month = sum(
        len(simulator.world.race_day_items(1, d))
        for d, m in simulator.world.race_days("20250601", "20250630")
        if m == 1
    )
    assert typo["totalCount"] == whole_month > len(simulator.world.race_day_items(1, SEOUL_SUNDAY))


def test_act_gubun_n_lists_retired_horses_too_and_pages_like_any_listing(
    simulator: SimulatorServer,
) -> None:
    active = body(get(simulator, HORSES, meet=2, _type="json", numOfRows=1000))
    assert items_of(active) == simulator.world.horse_items(2)
    explicit = body(get(simulator, HORSES, meet=2, act_gubun="Y", _type="json", numOfRows=1000))
    assert explicit["totalCount"] == active["totalCount"]
    everyone = simulator.world.horse_items(2, include_retired=True)
    collected: list[dict[str, Any]] = []
    for page_no in (1, 2, 3, 4):
        page = body(get(simulator, HORSES, meet=2, act_gubun="n", _type="json",
                        numOfRows=1000, pageNo=page_no))  # fmt: skip
        assert page["totalCount"] == len(everyone) > active["totalCount"]
        collected += items_of(page)
    assert collected == everyone
    old_day = simulator.world.race_days("20180601", "20180630")
    retired = {
        str(item["hrNo"]).zfill(7)
        for race_date, meet in old_day
        if meet == 2
        for item in simulator.world.race_day_items(2, race_date)
    } - {str(item["hrNo"]).zfill(7) for item in items_of(active)}
    assert retired and retired <= {str(item["hrNo"]).zfill(7) for item in collected}
    upper = body(get(simulator, HORSES, meet=2, act_gubun="N", _type="json", numOfRows=10))
    assert upper["totalCount"] == len(everyone)


def test_an_ignored_act_gubun_leaves_the_active_listing(
    start_kra_simulator: Callable[..., Any],
) -> None:
    server = start_kra_simulator(seed=3, today=TODAY, ignored_params={"act_gubun"})
    answer = body(get(server, HORSES, meet=2, act_gubun="n", _type="json", numOfRows=1000))
    assert items_of(answer) == server.world.horse_items(2)


def test_without_type_json_the_answer_is_xml(simulator: SimulatorServer) -> None:
    response = get(simulator, RACES, meet=1, rc_date=SEOUL_SUNDAY, numOfRows=5)
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    root = parse_xml(response.content)
    assert root.findtext("header/resultCode") == "00"
    assert root.findtext("body/totalCount") == str(
        len(simulator.world.race_day_items(1, SEOUL_SUNDAY))
    )
    xml_items = [{e.tag: e.text for e in item} for item in root.iterfind("body/items/item")]
    expected = simulator.world.race_day_items(1, SEOUL_SUNDAY)[:5]
    assert xml_items == [{k: str(v) for k, v in item.items()} for item in expected]
    real = parse_xml(load_sample_text("coyasong_examples_api8_2_response.xml").encode())
    horse = parse_xml(get(simulator, HORSES, hr_no=expected[0]["hrNo"]).content)
    assert [e.tag for e in horse.iter()] == [e.tag for e in real.iter()]


def test_an_unknown_key_gets_gateway_error_30_even_for_json(simulator: SimulatorServer) -> None:
    for params in ({"serviceKey": "wrong"}, {}):
        response = httpx.get(simulator.base_url + RACES, params={**params, "_type": "json"})
        assert response.status_code == 200
        assert response.text == load_sample_text("reconstructed_datagokr_gateway_error_30.xml")
    assert simulator.stats.key_rejections == 2
    assert simulator.stats.answered == Counter()


def test_configured_keys_replace_the_default(start_kra_simulator: Callable[..., Any]) -> None:
    server = start_kra_simulator(api_keys={"my-test-key"}, today=TODAY)
    ok = httpx.get(server.base_url + JOCKEYS, params={"serviceKey": "my-test-key", "_type": "json"})
    assert body(ok)["totalCount"] > 0
    assert "<returnReasonCode>30<" in get(server, JOCKEYS, _type="json").text


def test_a_refused_api_gets_gateway_error_20_and_the_others_answer(
    start_kra_simulator: Callable[..., Any],
) -> None:
    server = start_kra_simulator(refused_apis="API214_1", today=TODAY)
    assert "<returnReasonCode>20<" in get(server, RACES, _type="json").text
    assert body(get(server, JOCKEYS, _type="json"))["totalCount"] > 0


def test_over_quota_gateway_error_22(start_kra_simulator: Callable[..., Any]) -> None:
    server = start_kra_simulator(today=TODAY, quota_per_window=3, quota_mode="22")
    answers = [get(server, JOCKEYS, meet=1, _type="json") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert all(a.json()["response"]["header"]["resultCode"] == "00" for a in answers[:3])
    expected = load_sample_text("reconstructed_datagokr_gateway_error_22.xml")
    assert [a.text for a in answers[3:]] == [expected, expected]
    assert server.stats.quota_violations == 2
    assert server.stats.peak_window_requests == 5


def test_over_quota_http_429_with_retry_after(start_kra_simulator: Callable[..., Any]) -> None:
    server = start_kra_simulator(today=TODAY, quota_per_window=2, quota_mode="429")
    answers = [get(server, HORSES, meet=2, _type="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    assert server.stats.quota_violations == 1


def test_mixed_quota_mode_uses_both_shapes(start_kra_simulator: Callable[..., Any]) -> None:
    server = start_kra_simulator(today=TODAY, quota_per_window=1, quota_mode="mixed")
    refusals = [get(server, JOCKEYS, _type="json") for _ in range(25)][1:]
    kinds = {"429" if r.status_code == 429 else "22" for r in refusals}
    assert kinds == {"22", "429"}
    assert all("<returnReasonCode>22<" in r.text for r in refusals if r.status_code == 200)
    assert server.stats.quota_violations == 24


def test_fault_injection_produces_every_kind(start_kra_simulator: Callable[..., Any]) -> None:
    kinds = ("server_error", "truncated", "slow", "gateway_error")
    server = start_kra_simulator(
        today=TODAY, fault_rate=1.0, fault_kinds=kinds, slow_seconds=0.01, fault_seed=4
    )
    seen: Counter[str] = Counter()
    normal = None
    for _ in range(40):
        response = get(server, RACES, meet=1, rc_date=SEOUL_SUNDAY, _type="json")
        if response.status_code >= 500:
            seen["server_error"] += 1
        elif "<returnReasonCode>" in response.text:
            assert re.search(r"<returnReasonCode>(01|99)<", response.text)
            seen["gateway_error"] += 1
        else:
            try:
                normal = body(response)
                seen["slow"] += 1
            except json.JSONDecodeError:
                seen["truncated"] += 1
                truncated = response.text
    assert set(seen) == set(kinds)
    assert server.stats.faults == seen
    assert normal is not None and normal["totalCount"] > 0
    full = httpx.get(server.base_url + "/_simulator/stats").json()  # control routes never fail
    assert sum(full["faults"].values()) == 40
    assert len(truncated) > 0


def test_a_fault_free_simulator_never_fails(simulator: SimulatorServer) -> None:
    for _ in range(20):
        assert body(get(simulator, TRAINERS, meet=3, _type="json"))["totalCount"] > 0
    assert simulator.stats.faults == Counter()


def test_stats_over_http_and_reset(simulator: SimulatorServer) -> None:
    get(simulator, RACES, meet=1, rc_date=SEOUL_SUNDAY, _type="json")
    get(simulator, HORSES, meet=1, _type="json")
    get(simulator, HORSES, meet=1, _type="json", serviceKey="wrong")
    stats = httpx.get(simulator.base_url + "/_simulator/stats").json()
    assert stats["calls"] == {"API214_1": 1, "API8_2": 2}
    assert stats["answered"] == {"API214_1": 1, "API8_2": 1}
    assert (stats["total_calls"], stats["key_rejections"], stats["peak_window_requests"]) == (
        3,
        1,
        3,
    )
    assert stats == simulator.stats.as_dict()
    assert httpx.post(simulator.base_url + "/_simulator/reset").json() == {"reset": True}
    assert simulator.stats.total_calls == 0
    assert httpx.get(simulator.base_url + "/_simulator/stats").json()["calls"] == {}


def test_bad_paging_is_a_service_error_10(simulator: SimulatorServer) -> None:
    answer = get(simulator, RACES, meet=1, rc_date=SEOUL_SUNDAY, _type="json", pageNo="x")
    assert answer.json() == {
        "response": {
            "header": {"resultCode": "10", "resultMsg": "INVALID REQUEST PARAMETER ERROR."}
        }
    }


def test_an_unknown_operation_is_gateway_error_12(simulator: SimulatorServer) -> None:
    answer = get(simulator, "/API214_1/NoSuchOperation", _type="json")
    assert "<returnReasonCode>12<" in answer.text
    assert simulator.stats.total_calls == 0


def test_invalid_config_says_what_to_change() -> None:
    with pytest.raises(ValueError, match="quota_mode 'sometimes' is not one of 22, 429, mixed"):
        SimulatorConfig(quota_mode="sometimes")
    with pytest.raises(ValueError, match=re.escape("fault_rate 2.0 must be between 0 and 1")):
        SimulatorConfig(fault_rate=2.0)


def test_a_busy_port_is_reported_with_the_fix(simulator: SimulatorServer) -> None:
    with pytest.raises(OSError, match="choose another port"):
        SimulatorServer(SimulatorConfig(port=simulator.port)).start()


def test_simulator_env_points_the_pipeline_at_it(simulator_env: SimulatorServer) -> None:
    assert os.environ["KRA_API_BASE_URL"] == simulator_env.base_url
    assert os.environ["KRA_API_KEY"] == SIMULATOR_API_KEY
    answer = httpx.get(
        os.environ["KRA_API_BASE_URL"] + JOCKEYS,
        params={"serviceKey": os.environ["KRA_API_KEY"], "_type": "json"},
    )
    assert body(answer)["totalCount"] > 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_kra_simulator_command_serves_until_stopped() -> None:
    port = free_port()
    command = [
        "uv",
        "run",
        "kra",
        "simulator",
        "--port",
        str(port),
        "--today",
        TODAY,
        "--seed",
        "3",
    ]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert any(
            f"KRA_API_BASE_URL=http://127.0.0.1:{port} KRA_API_KEY=" in line for line in lines
        )
        answer = httpx.get(
            f"http://127.0.0.1:{port}{JOCKEYS}",
            params={"serviceKey": SIMULATOR_API_KEY, "_type": "json", "meet": 1},
        )
        assert body(answer)["totalCount"] > 0
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def test_kra_simulator_command_rejects_a_bad_today() -> None:
    result = CliRunner().invoke(simulator_command, ["--port", "0", "--today", "2025-06-10"])
    assert result.exit_code != 0
    assert "YYYYMMDD" in result.output
