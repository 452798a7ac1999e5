"""The guard `kra up` puts before the Dagster webserver refuses what a foreign page could send,
and lets the UI's own requests through."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from kra_cli.webserver_guard import WebserverGuard, allowed_hosts

PORT = 3000
OWN = {"host": f"127.0.0.1:{PORT}"}
MUTATION = 'mutation { terminateRun(runId: "x") { __typename } }'


async def _answer(request):  # stands for the webserver: it says it was reached
    return PlainTextResponse("reached")


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("reached")
    await websocket.close()


@pytest.fixture(scope="module")
def client() -> TestClient:
    inner = Starlette(
        routes=[
            Route("/graphql", _answer, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", _socket),
            Route("/runs", _answer),
        ]
    )
    hosts = allowed_hosts(PORT, "dagster.example.org:443")
    return TestClient(WebserverGuard(inner, hosts), base_url=f"http://127.0.0.1:{PORT}")


def test_the_ui_own_requests_pass(client: TestClient) -> None:
    assert client.get("/runs").text == "reached"
    assert client.get("/graphql", params={"query": "{ version }"}).text == "reached"
    same_site = {"origin": f"http://127.0.0.1:{PORT}"}
    posted = client.post("/graphql", json={"query": MUTATION}, headers=same_site)
    assert posted.text == "reached"
    proxied = {"host": "dagster.example.org:443", "origin": "https://dagster.example.org:443"}
    assert client.get("/runs", headers=proxied).text == "reached"
    # The test client's websockets say Host: testserver unless told otherwise.
    with client.websocket_connect("/graphql", headers={**OWN, **same_site}) as socket:
        assert socket.receive_text() == "reached"


def test_a_mutation_in_a_get_is_refused(client: TestClient) -> None:
    answer = client.get("/graphql", params={"query": MUTATION})
    assert answer.status_code == 405
    assert "POST with application/json" in answer.json()["detail"]


def test_a_graphql_form_post_is_refused(client: TestClient) -> None:
    answer = client.post("/graphql", params={"query": MUTATION}, data={"x": "1"})
    assert answer.status_code == 415


def test_a_foreign_host_or_origin_is_refused(client: TestClient) -> None:
    rebound = client.get("/runs", headers={"host": "attacker.example:3000"})
    assert rebound.status_code == 403
    assert "DAGSTER_WEBSERVER_ALLOWED_HOSTS" in rebound.json()["detail"]
    cross = client.post(
        "/graphql", json={"query": MUTATION}, headers={**OWN, "origin": "http://evil.example"}
    )
    assert cross.status_code == 403
    foreign = {**OWN, "origin": "http://evil.example"}
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/graphql", headers=foreign):
        pass
