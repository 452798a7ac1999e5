"""How KraClient classifies and retries server answers, scripted with httpx.MockTransport.

The client is the thing under test; the transport only plays the server's part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from kra_pipeline.kra.client import KraClient, redact
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.errors import (
    KraConfigurationError,
    KraDailyQuotaError,
    KraRequestError,
    KraTransientError,
)
from kra_pipeline.kra.limiter import SharedRateLimiter
from tests.fixtures.samples import load_sample_text

KEY = "abc+def/ghi=="
Answer = httpx.Response | Exception


def envelope(items: list[dict[str, Any]], total: int | None = None, code: str = "00") -> str:
    body = {"items": {"item": items} if items else "", "totalCount": len(items)}
    if total is not None:
        body["totalCount"] = total
    return json.dumps(
        {"response": {"header": {"resultCode": code, "resultMsg": "X"}, "body": body}}
    )


def entrant(race_no: int, gate_no: int, date: int = 20250607) -> dict[str, Any]:
    return {"rcDate": date, "meet": "서울", "rcNo": race_no, "chulNo": gate_no, "hrNo": "0012345"}


def ok(items: list[dict[str, Any]], total: int | None = None) -> httpx.Response:
    return httpx.Response(200, text=envelope(items, total))


class ScriptedServer:
    """Answers requests in order from a script; records every request it saw."""

    def __init__(self, script: list[Answer] | Callable[[httpx.Request], Answer]) -> None:
        self.script = script
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.script(request) if callable(self.script) else self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def settings(**overrides: Any) -> KraSettings:
    values: dict[str, Any] = {
        "api_base_url": "http://kra.test/B551015",
        "api_key": KEY,
        "api_max_attempts": 4,
        "api_backoff_seconds": 0.001,
        "rate_limit_per_minute": 1000,
    }
    return KraSettings(**(values | overrides))


@pytest.fixture
def client_for() -> Iterator[Callable[..., KraClient]]:
    clients: list[KraClient] = []

    def make(server: ScriptedServer, **overrides: Any) -> KraClient:
        client = KraClient(settings(**overrides), transport=httpx.MockTransport(server))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_unregistered_key_fails_at_once_with_an_actionable_message(client_for: Any) -> None:
    server = ScriptedServer(
        [httpx.Response(200, text=load_sample_text("reconstructed_datagokr_gateway_error_30.xml"))]
    )
    client = client_for(server)
    with pytest.raises(KraConfigurationError) as caught:
        client.fetch_race_day(1, "20250607")
    assert "KRA_API_KEY is not registered for API214_1" in str(caught.value)
    assert KEY not in str(caught.value)
    assert len(server.requests) == 1
    assert client.stats.calls["API214_1"] == 1
    assert client.stats.total_retries == 0


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_by_status_fails_at_once(client_for: Any, status: int) -> None:
    server = ScriptedServer([httpx.Response(status, text="Unauthorized")])
    with pytest.raises(KraConfigurationError, match="KRA_API_KEY"):
        client_for(server).fetch_jockey("080405")
    assert len(server.requests) == 1


def test_gateway_code_inside_a_4xx_wins_over_the_status(client_for: Any) -> None:
    body = load_sample_text("reconstructed_datagokr_gateway_error_30.xml")
    server = ScriptedServer([httpx.Response(403, text=body)])
    with pytest.raises(KraConfigurationError) as caught:
        client_for(server).fetch_horse("51228")
    assert caught.value.code == "30"


def test_invalid_parameter_fails_at_once(client_for: Any) -> None:
    server = ScriptedServer([httpx.Response(200, text=envelope([], code="10"))])
    with pytest.raises(KraRequestError):
        client_for(server).fetch_race_day(1, "20250607")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "fault",
    [
        httpx.Response(500, text="Unexpected errors"),
        httpx.Response(503),
        httpx.Response(200, text=envelope([entrant(1, 1)])[:40]),
        httpx.Response(200, text="<html>gateway busy</html>"),
        httpx.Response(200, text=envelope([], code="05")),
        httpx.Response(200, text=envelope([], code="99")),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
    ],
    ids=["500", "503", "torn-json", "html", "code05", "code99", "timeout", "connect"],
)
def test_transient_faults_are_retried_until_the_day_arrives(client_for: Any, fault: Answer) -> None:
    server = ScriptedServer([fault, fault, ok([entrant(1, 1), entrant(1, 2)])])
    client = client_for(server)
    answer = client.fetch_race_day(1, "20250607")
    assert [item["chulNo"] for item in answer.items] == [1, 2]
    assert client.stats.calls["API214_1"] == 3
    assert client.stats.retries["API214_1"] == 2


def test_persistent_fault_gives_up_after_max_attempts(client_for: Any) -> None:
    server = ScriptedServer(lambda request: httpx.Response(502))
    client = client_for(server, api_max_attempts=3)
    with pytest.raises(KraTransientError) as caught:
        client.fetch_race_day(3, "20250606")
    assert caught.value.code == "HTTP 502"
    assert len(server.requests) == 3
    assert client.stats.total_calls == 3
    assert client.stats.total_retries == 2


def test_quota_honours_retry_after_then_retries(client_for: Any) -> None:
    server = ScriptedServer(
        [httpx.Response(429, headers={"Retry-After": "0.01"}), ok([entrant(1, 1)])]
    )
    client = client_for(server)
    assert len(client.fetch_race_day(1, "20250607").items) == 1
    assert client.stats.retries["API214_1"] == 1


def test_quota_code_22_is_retried_then_stops_as_the_daily_quota(client_for: Any) -> None:
    quota = load_sample_text("reconstructed_datagokr_service_header_error_22.json")
    server = ScriptedServer(lambda request: httpx.Response(200, text=quota))
    with pytest.raises(
        KraDailyQuotaError, match=r"daily quota.*00:00 KST.*KRA_RATE_LIMIT_PER_MINUTE"
    ):
        client_for(server, api_max_attempts=2).fetch_trainer("70180")
    assert len(server.requests) == 2


def test_every_attempt_takes_a_limiter_token(tmp_path: Any) -> None:
    limiter = SharedRateLimiter(3, 60, f"sqlite:///{tmp_path}/bucket.sqlite")
    server = ScriptedServer([httpx.Response(500), httpx.Response(500), ok([entrant(1, 1)])])
    with KraClient(settings(), limiter=limiter, transport=httpx.MockTransport(server)) as client:
        client.fetch_race_day(1, "20250607")
    assert limiter.try_acquire() > 0  # three attempts spent the budget of three
    limiter.close()


def test_a_day_is_paged_with_a_large_page_until_total_count(client_for: Any) -> None:
    rows = [entrant(race, gate) for race in range(1, 26) for gate in range(1, 101)]

    def serve(request: httpx.Request) -> httpx.Response:
        size, page = int(request.url.params["numOfRows"]), int(request.url.params["pageNo"])
        return ok(rows[(page - 1) * size : page * size], total=len(rows))

    server = ScriptedServer(serve)
    answer = client_for(server).fetch_race_day(1, "20250607")
    assert answer.items == rows
    assert answer.total_count == 2500
    assert len(answer.pages) == 3
    assert {r.url.params["numOfRows"] for r in server.requests} == {"1000"}


def test_a_service_that_caps_the_page_is_followed_at_its_size(client_for: Any) -> None:
    rows = [entrant(race, gate) for race in range(1, 4) for gate in range(1, 13)]

    def serve(request: httpx.Request) -> httpx.Response:
        size = min(int(request.url.params["numOfRows"]), 10)  # like the API's default page
        page = int(request.url.params["pageNo"])
        return ok(rows[(page - 1) * size : page * size], total=len(rows))

    answer = client_for(ScriptedServer(serve)).fetch_race_day(1, "20250607")
    assert answer.items == rows


def test_rows_missing_against_total_count_are_reported(client_for: Any) -> None:
    server = ScriptedServer(
        lambda request: (
            ok([entrant(1, 1)], total=2) if request.url.params["pageNo"] == "1" else ok([], total=2)
        )
    )
    with pytest.raises(KraTransientError, match="totalCount=2"):
        client_for(server, api_max_attempts=1).fetch_race_day(1, "20250607")


def test_an_ignored_date_filter_is_not_taken_for_the_day(client_for: Any) -> None:
    server = ScriptedServer([ok([entrant(1, 1), entrant(1, 1, date=20240101)])])
    with pytest.raises(KraRequestError, match="filter was ignored"):
        client_for(server).fetch_race_day(1, "20250607")


def test_horse_detail_is_normalised_and_an_absent_horse_is_none(client_for: Any) -> None:
    sample = load_sample_text("coyasong_examples_api8_2_response.json")
    server = ScriptedServer([httpx.Response(200, text=sample), ok([])])
    client = client_for(server)
    horse = client.fetch_horse("51228")
    assert horse is not None
    assert (horse.horse_no, horse.meet, horse.trainer_no) == ("0051228", 3, "070180")
    assert server.requests[0].url.params["hr_no"] == "0051228"
    # An old race day's horses are mostly retired: the look-up asks for those too.
    assert server.requests[0].url.params["act_gubun"] == "n"
    assert client.fetch_horse("0000001") is None


def test_key_is_sent_decoded_once_and_never_logged(client_for: Any) -> None:
    server = ScriptedServer([ok([])])
    was_configured = structlog.is_configured()
    try:
        with capture_logs() as logs:
            client_for(server).fetch_race_day(2, "20250606")
    finally:
        if not was_configured:
            # capture_logs restores the processors but leaves structlog marked configured, which
            # would stop a later pipeline run from routing the client's lines to its event log.
            structlog.reset_defaults()
    request = server.requests[0]
    assert request.url.params["serviceKey"] == KEY
    assert "serviceKey=abc%2Bdef%2Fghi%3D%3D" in str(request.url)
    assert request.url.params["_type"] == "json"
    assert logs, "the request should be logged"
    assert KEY not in repr(logs)
    assert "abc%2Bdef" not in repr(logs)


def test_redact_hides_the_service_key() -> None:
    url = "https://apis.data.go.kr/B551015/API8_2/raceHorseInfo_2?serviceKey=s3cr%2Bt&hr_no=1"
    assert (
        redact(url)
        == "https://apis.data.go.kr/B551015/API8_2/raceHorseInfo_2?serviceKey=***&hr_no=1"
    )


def test_missing_key_for_the_real_service_names_the_setting_and_the_simulator() -> None:
    with pytest.raises(KraConfigurationError) as caught:
        KraClient(KraSettings())
    assert "KRA_API_KEY" in str(caught.value)
    assert "simulator" in str(caught.value)
    assert "KRA_API_BASE_URL" in str(caught.value)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRA_API_KEY", KEY)
    monkeypatch.setenv("KRA_RATE_LIMIT_WINDOW_SECONDS", "2.5")
    monkeypatch.setenv("KRA_API_PAGE_SIZE", "500")
    loaded = KraSettings()
    assert loaded.service_key() == KEY
    assert loaded.rate_limit_window_seconds == 2.5
    assert loaded.api_page_size == 500
    assert KEY not in repr(loaded)
