"""End to end: `kra up`'s stack (webserver, daemon, REST API, simulator) on a temp DAGSTER_HOME.

One stack per module, its REST API on two uvicorn workers (`kra up --api-workers 2`); every
request goes over HTTP to the API, as a client would, and may land on either worker.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dagster import DagsterInstance

from kra_api.auth import key_fingerprint
from kra_api.caller_secret import fingerprint_secret
from kra_api.gateway import DagsterGateway
from kra_cli.demo import recent_seoul_race_day
from kra_cli.stack import REPO_ROOT, Stack
from kra_pipeline.contract import CALLER_TAG, JOB_TYPE_TAG, race_selection_config
from tests.api.conftest import HEADERS_A, HEADERS_B, KEY_A, KEY_B

pytestmark = pytest.mark.slow
HOLD_TAG = "e2e/hold"
FINISHED = ("completed", "failed", "cancelled")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kra_stack") / "dagster"


@pytest.fixture(scope="module")
def stack(dagster_home: Path) -> Iterator[Stack]:
    home = dagster_home.parent
    dagster_home.mkdir()
    # The repo's instance config plus a tag no run may hold a slot for: runs tagged with it stay
    # queued, so cancelling a queued run can be tested while the daemon runs.
    config = (REPO_ROOT / "dagster.yaml").read_text()
    config = config.replace(
        "    max_concurrent_runs: 4\n",
        f'    max_concurrent_runs: 4\n    tag_concurrency_limits:\n      - key: "{HOLD_TAG}"\n'
        "        limit: 0\n",
    )
    (dagster_home / "dagster.yaml").write_text(config)
    saved = dict(os.environ)
    for name in ("KRA_API_KEY", "KRA_API_BASE_URL", "KRA_DATABASE_URL", "ENVIRONMENT"):
        os.environ.pop(name, None)
    os.environ |= {
        "KRA_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "VALID_API_KEYS": json.dumps([KEY_A, KEY_B]),
        "COLLECTION_SYNC_WAIT_SECONDS": "120",
        "METRICS_ENABLED": "true",
        # These tests poll hard with two keys; the per-key limit has tests of its own.
        "API_RATE_LIMIT": "1000000",
    }
    running = Stack(api_port=_free_port(), dagster_port=_free_port(), api_workers=2)
    stopping = threading.Event()
    try:
        running.start()
        # As `kra up` does after "Serving": tend the children, restarting those that die.
        supervising = threading.Thread(target=running.serve_forever, args=(stopping,))
        supervising.start()
        yield running
    finally:
        stopping.set()
        running.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=180) as client:
        yield client


@pytest.fixture(scope="module")
def race_date(stack: Stack) -> str:
    return recent_seoul_race_day(stack)


def _race_day(stack: Stack, meet: int) -> str:
    """The latest past day on which the simulator races at `meet`."""
    world = stack.simulator.world
    days = world.race_days("20250101", recent_seoul_race_day(stack))
    return [day for day, m in days if m == meet][-1]


def _wait_job(api: httpx.Client, job_id: str, until: tuple[str, ...], timeout: float = 150) -> Any:
    return _wait_job_as(api, job_id, HEADERS_A, until, timeout)


def _wait_job_as(
    api: httpx.Client,
    job_id: str,
    headers: dict[str, str],
    until: tuple[str, ...] = FINISHED,
    timeout: float = 150,
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(f"/api/v2/jobs/{job_id}", headers=headers).json()
        if job["status"] in until or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def test_async_collection_matches_the_simulator(
    stack: Stack, api: httpx.Client, race_date: str
) -> None:
    body = {"date": race_date, "meet": 1, "options": {"enrich": True}}
    first = api.post("/api/v2/collection/async", json=body, headers=HEADERS_A)
    again = api.post("/api/v2/collection/async", json=body, headers=HEADERS_A)
    assert first.status_code == again.status_code == 202
    job_id = first.json()["job_id"]
    assert again.json()["job_id"] == job_id  # the in-flight run, not a second one
    assert first.json()["webhook_url"] == f"/api/v2/jobs/{job_id}"
    assert api.get(f"/api/v2/jobs/{job_id}", headers=HEADERS_B).status_code == 404

    job = _wait_job(api, job_id, FINISHED)
    assert job["status"] == "completed", job["error_message"]
    assert job["progress"] == 100
    assert job["parameters"]["partition"] == f"{race_date}|1"
    assert job["result"]["collected_race_day"]["race_count"] > 0
    assert job["logs"]

    truth = {item["rcNo"] for item in stack.simulator.world.race_day_items(1, race_date)}
    status = api.get(
        "/api/v2/collection/status", params={"date": race_date, "meet": 1}, headers=HEADERS_B
    ).json()
    assert status["total_races"] == status["collected_races"] == len(truth)
    assert status["enriched_races"] == len(truth)
    assert (status["status"], status["collection_status"]) == ("completed", "completed")

    races = api.get("/api/v2/races", params={"date": race_date, "meet": 1}, headers=HEADERS_A)
    assert {race["race_no"] for race in races.json()["races"]} == truth


def test_sync_collection_returns_the_asked_races(stack: Stack, api: httpx.Client) -> None:
    body = {
        "date": _race_day(stack, 3),
        "meet": 3,
        "race_numbers": [1, 2],
        "options": {"enrich": False},
    }
    answer = api.post("/api/v2/collection/", json=body, headers=HEADERS_B)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["status"] == "success"
    assert [race["race_no"] for race in document["data"]] == [1, 2]
    assert all(race["entrants"] for race in document["data"])
    assert all("result" not in e for race in document["data"] for e in race["entrants"])


def test_cancel_a_queued_run(
    stack: Stack, api: httpx.Client, race_date: str, dagster_home: Path
) -> None:
    instance = DagsterInstance.from_config(str(dagster_home))
    gateway = DagsterGateway(stack.dagster_url, instance=instance)
    tags = {
        HOLD_TAG: "1",
        JOB_TYPE_TAG: "collection",
        CALLER_TAG: key_fingerprint(KEY_A, fingerprint_secret(dagster_home.parent)),
    }
    run_id = gateway.launch_run(
        "collect_race_cards", f"{race_date}|2", race_selection_config(None), tags
    )
    assert _wait_job(api, run_id, ("queued",), timeout=5)["status"] == "queued"
    answer = api.post(f"/api/v2/jobs/{run_id}/cancel", headers=HEADERS_A)
    assert answer.status_code == 200
    assert _wait_job(api, run_id, FINISHED)["status"] == "cancelled"
    assert api.post(f"/api/v2/jobs/{run_id}/cancel", headers=HEADERS_A).status_code == 409


def test_cancel_a_running_run(stack: Stack, api: httpx.Client) -> None:
    body = {"date": _race_day(stack, 2), "meet": 2, "options": {"enrich": True}}
    job_id = api.post("/api/v2/collection/async", json=body, headers=HEADERS_A).json()["job_id"]
    job = _wait_job(api, job_id, ("processing", *FINISHED))
    assert job["status"] == "processing"
    answer = api.post(f"/api/v2/jobs/{job_id}/cancel", headers=HEADERS_A)
    assert answer.status_code == 200, answer.text
    assert _wait_job(api, job_id, FINISHED)["status"] == "cancelled"


def test_detailed_health_sees_every_part(api: httpx.Client) -> None:
    health = api.get("/health/detailed").json()
    checks = health["checks"]
    for part in ("dagster_storage", "dagster_daemon", "dagster_webserver", "race_store"):
        assert checks[part]["status"] == "healthy", checks[part]
    assert checks["kra_api_key"]["configured"]  # the simulator's key, set by the stack
    assert checks["kra_reachable"]["status"] == "healthy"
    children = checks["processes"]["children"]
    assert set(children) == {"code-server", "dagster-webserver", "dagster-daemon", "rest-api"}
    assert all(child["state"] == "running" for child in children.values())
    assert health["status"] == "healthy"


def _unknown_job_requests(stack: Stack) -> float:
    """The count of 404s on /api/v2/jobs/{job_id}, scraped on a fresh connection."""
    text = httpx.get(f"{stack.api_url}/metrics", headers={"Connection": "close"}).text
    sample = re.search(
        r'^kra_http_requests_total\{method="GET",route="/api/v2/jobs/\{job_id\}",status="404"\}'
        r" (\S+)$",
        text,
        re.MULTILINE,
    )
    return float(sample.group(1)) if sample else 0.0


def test_metrics_count_the_requests_of_every_worker(stack: Stack) -> None:
    before = _unknown_job_requests(stack)

    def unknown_job(n: int) -> int:
        headers = {**HEADERS_A, "Connection": "close"}  # a new connection: any worker may answer
        answer = httpx.get(f"{stack.api_url}/api/v2/jobs/no-such-job-{n}", headers=headers)
        return answer.status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(unknown_job, range(60))) == {404}
    assert stack.metrics_dir is not None
    workers_with_samples = list(stack.metrics_dir.glob("counter_*.db"))
    assert len(workers_with_samples) >= 2, "both API workers should have served requests"
    # Whichever worker answers the scrape, it reports the requests of both.
    assert [_unknown_job_requests(stack) for _ in range(6)] == [before + 60] * 6


def test_backfill_collects_every_race_day_of_the_range(stack: Stack, api: httpx.Client) -> None:
    world = stack.simulator.world
    # Two days of one meet: each partition is a run through the queue, so the range
    # is kept short; the date × meet expansion itself is plain code in the launcher.
    jeju_day = _race_day(stack, 2)  # a Friday or Saturday: the day before is a Thursday or Friday
    days = [
        (datetime.strptime(jeju_day, "%Y%m%d") - timedelta(days=n)).strftime("%Y%m%d")
        for n in (1, 0)
    ]
    body = {"date_from": days[0], "date_to": days[1], "meets": [2]}
    answer = api.post("/api/v2/collection/backfill", json=body, headers=HEADERS_A)
    assert answer.status_code == 202, answer.text
    backfill_id = answer.json()["job_id"]
    launched = api.get(f"/api/v2/jobs/{backfill_id}", headers=HEADERS_A).json()
    assert launched["parameters"]["partitions"] == [f"{day}|2" for day in days]
    job = _wait_job(api, backfill_id, FINISHED, timeout=240)
    assert job["type"] == "backfill"
    assert job["status"] == "completed", job
    for day in days:
        for meet in body["meets"]:
            expected = {item["rcNo"] for item in world.race_day_items(meet, day)}
            status = api.get(
                "/api/v2/collection/status", params={"date": day, "meet": meet}, headers=HEADERS_A
            ).json()
            assert status["status"] == "completed", (day, meet, status)
            assert status["collected_races"] == len(expected), (day, meet, status)
    # Another caller does not see this caller's backfill.
    assert api.get(f"/api/v2/jobs/{backfill_id}", headers=HEADERS_B).status_code == 404


def test_a_backfill_can_be_cancelled(stack: Stack, api: httpx.Client) -> None:
    body = {"date_from": "20250101", "date_to": "20250131", "meets": [3]}
    answer = api.post("/api/v2/collection/backfill", json=body, headers=HEADERS_A)
    assert answer.status_code == 202, answer.text
    backfill_id = answer.json()["job_id"]
    assert api.post(f"/api/v2/jobs/{backfill_id}/cancel", headers=HEADERS_B).status_code == 404
    cancel = api.post(f"/api/v2/jobs/{backfill_id}/cancel", headers=HEADERS_A)
    assert cancel.status_code == 200, cancel.text
    job = _wait_job(api, backfill_id, ("cancelled",), timeout=60)
    assert job["status"] == "cancelled", job
    assert len(job["parameters"]["partitions"]) == 31
    again = api.post(f"/api/v2/jobs/{backfill_id}/cancel", headers=HEADERS_A)
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]


def test_a_killed_daemon_is_restarted_and_the_stack_serves_again(
    stack: Stack, api: httpx.Client
) -> None:
    """A stopped daemon shows in /health/detailed at once; kill -9 no longer ends the stack:
    the daemon is restarted, /health/ready says when it beats again, and a launch made as soon
    as it does is queued and run."""
    assert stack.supervisor is not None
    daemon = stack.supervisor.children["dagster-daemon"]
    assert daemon.process is not None
    killed = daemon.process.pid
    os.kill(killed, signal.SIGSTOP)  # hung: alive, serving nothing
    try:
        stopped = api.get("/health/detailed").json()["checks"]["dagster_daemon"]
    finally:
        os.kill(killed, signal.SIGCONT)
    assert stopped["status"] == "unhealthy"
    assert f"(pid {killed}) is stopped" in stopped["error"]

    daemon.process.kill()
    deadline = time.monotonic() + 150
    ready = api.get("/health/ready")
    while time.monotonic() < deadline and (daemon.restarts == 0 or ready.status_code != 200):
        time.sleep(1)
        ready = api.get("/health/ready")
    assert ready.status_code == 200, ready.text
    # /health/detailed is shared between callers for HEALTH_CACHE_SECONDS: the answer computed
    # while the daemon was stopped may still be served for a few seconds.
    processes_check = api.get("/health/detailed").json()["checks"]["processes"]
    while time.monotonic() < deadline and processes_check["status"] != "healthy":
        time.sleep(1)
        processes_check = api.get("/health/detailed").json()["checks"]["processes"]
    assert processes_check["status"] == "healthy", processes_check
    processes = processes_check["children"]
    assert processes["dagster-daemon"]["restarts"] == 1
    assert processes["dagster-daemon"]["pid"] != killed
    assert stack.supervisor.children["rest-api"].restarts == 0  # the rest kept serving

    body = {"date": _race_day(stack, 1), "meet": 1, "race_numbers": [1]}
    accepted = api.post("/api/v2/collection/async", json=body, headers=HEADERS_B)
    assert accepted.status_code == 202, accepted.text
    job = _wait_job_as(api, accepted.json()["job_id"], HEADERS_B)
    assert job["status"] == "completed", job["error_message"]


def test_the_webserver_refuses_what_a_foreign_page_could_send(stack: Stack) -> None:
    """`kra up` serves the UI behind the guard: its own pages and POSTed GraphQL work,
    a GET mutation and a foreign Host (DNS rebinding) do not reach Dagster."""
    ui = httpx.get(f"{stack.dagster_url}/runs", headers={"Accept": "text/html"})
    assert ui.status_code == 200
    version = httpx.post(f"{stack.dagster_url}/graphql", json={"query": "{ version }"})
    assert version.json()["data"]["version"]
    cancel_all = "mutation { terminateRuns(runIds: []) { __typename } }"
    by_get = httpx.get(f"{stack.dagster_url}/graphql", params={"query": cancel_all})
    assert by_get.status_code == 405
    rebound = httpx.get(f"{stack.dagster_url}/server_info", headers={"Host": "attacker.example"})
    assert rebound.status_code == 403
