"""What /health/detailed and /health/ready check: each dependency as a small report.

Nothing here calls KRA: whether KRA answers and accepts the key is read from what the newest
runs learned (their tags), so a health probe never spends the API quota.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kra_api.gateway import DagsterGateway
from kra_api.services.race_store import check_store
from kra_api.services.stack_processes import RUNNING, process_state, read_stack_state
from kra_pipeline.contract import (
    SOURCE_DAY_API,
)

# The daemon writes a heartbeat every 30 s: two missed beats and some slack.
HEARTBEAT_FRESH = timedelta(seconds=75)
DAEMON = "dagster-daemon"
# The readiness checks `kra up` reads to tell which of its children is not up yet.
DAEMON_CHECK = "dagster_daemon"
WEBSERVER_CHECK = "dagster_webserver"
ERROR_LIMIT = 300
CORE_API = SOURCE_DAY_API  # race cards and results: without it no recent day is collected


def _now() -> datetime:
    return datetime.now(UTC)


def _check(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"status": "healthy", **probe()}
    except Exception as exc:  # each dependency is reported, never raised
        return {"status": "unhealthy", "error": str(exc).strip().splitlines()[0][:ERROR_LIMIT]}


def _daemon(gateway: DagsterGateway) -> dict[str, Any]:
    """The supervised process first (a stopped daemon shows at once), then its heartbeats."""
    supervised = read_stack_state().get(DAEMON)
    if supervised is not None:
        state = process_state(supervised.pid)
        if state != RUNNING:
            raise RuntimeError(
                f"the daemon (pid {supervised.pid}) is {state}: schedules, sensors and the run "
                "queue are not served; `kra up` restarts a daemon that exits, a stopped one "
                f"needs `kill -CONT {supervised.pid}` or a restart"
            )
    beats = gateway.daemon_heartbeats()
    if not beats:
        raise RuntimeError("no daemon heartbeat: start `dagster-daemon run` (or `kra up`)")
    newest = max(beats.values())
    if supervised is not None and newest.timestamp() < supervised.started_at:
        raise RuntimeError("the daemon has not sent a heartbeat since it started: still starting")
    if _now() - newest > HEARTBEAT_FRESH:
        raise RuntimeError(
            f"last daemon heartbeat at {newest.isoformat()}: is the daemon running or hung?"
        )
    return {"daemons": sorted(beats), "last_heartbeat": newest.isoformat()}


def _webserver(gateway: DagsterGateway) -> dict[str, Any]:
    version = gateway.ping_webserver()
    return {
        "url": gateway.webserver_url,
        "version": version,
        "code_location": gateway.code_location_loaded(),
    }


def _kra_key(gateway: DagsterGateway) -> dict[str, Any]:
    """Whether a key is set, and whether KRA refused it in the newest run that reached KRA."""
    configured = bool(os.environ.get("KRA_API_KEY"))
    refusal = gateway.kra_key_refusal()
    if refusal is not None:
        raise RuntimeError(
            f"KRA refused the configuration in run {refusal['run_id']}: {refusal['message']}"
        )
    if not configured:
        raise RuntimeError("KRA_API_KEY is not set here: runs need it to reach the KRA API")
    return {"configured": True}


def _kra_reachable(gateway: DagsterGateway) -> dict[str, Any]:
    """Unhealthy while the newest run that tried could not reach KRA and none fetched since."""
    failure = gateway.kra_unreachable()
    if failure is None:
        return {"learned_from": "recent runs"}
    cause = failure["message"] or "a step could not reach KRA and is being retried"
    raise RuntimeError(f"run {failure['run_id']} could not reach KRA at {failure['at']}: {cause}")


def _kra_apis() -> dict[str, Any]:
    """Which KRA APIs the key may use, as KRA's own answers told (no call is spent to find
    out); unhealthy only when the card and results API itself is refused."""
    from kra_pipeline.kra.access_book import access_summary
    from kra_pipeline.kra.config import KraSettings
    from kra_pipeline.kra.daily_quota import key_access

    summary = access_summary(key_access(KraSettings()))
    refused = summary["refused"]
    if CORE_API in refused:
        raise RuntimeError(
            f"KRA refuses {CORE_API}, the race cards and results: {refused[CORE_API]}"
        )
    return {**summary, "learned_from": "KRA's answers to recent calls"}


def _processes() -> dict[str, Any]:
    """Each child of `kra up`: pid, state and restarts; unhealthy when one is not running."""
    children = read_stack_state()
    report = {
        name: {
            "pid": child.pid,
            "state": process_state(child.pid),
            "restarts": child.restarts,
            "up_seconds": round(time.time() - child.started_at),
        }
        for name, child in children.items()
    }
    down = [
        f"{name} is {info['state']}" for name, info in report.items() if info["state"] != RUNNING
    ]
    if down:
        raise RuntimeError("; ".join(down))
    return {"children": report}


def readiness_checks(gateway: DagsterGateway) -> dict[str, dict[str, Any]]:
    """What a launch needs: Dagster's storage, a live daemon, the webserver with the code
    location loaded, and a race store that takes writes. Blocking."""
    return {
        "dagster_storage": _check(lambda: {"runs": gateway.storage_ok()}),
        DAEMON_CHECK: _check(lambda: _daemon(gateway)),
        WEBSERVER_CHECK: _check(lambda: _webserver(gateway)),
        "race_store": _check(lambda: {"url": check_store()}),
    }


def detailed_checks(gateway: DagsterGateway) -> dict[str, dict[str, Any]]:
    """Readiness, plus KRA as recent runs saw it and, under `kra up`, each process. Blocking."""
    checks = readiness_checks(gateway)
    checks["kra_api_key"] = _check(lambda: _kra_key(gateway))
    checks["kra_reachable"] = _check(lambda: _kra_reachable(gateway))
    checks["kra_apis"] = _check(_kra_apis)
    if read_stack_state():
        checks["processes"] = _check(_processes)
    return checks


def all_healthy(checks: dict[str, dict[str, Any]]) -> bool:
    return all(check["status"] == "healthy" for check in checks.values())
