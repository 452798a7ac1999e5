"""The REST API's log while the stack starts: what a launch still waits for (Dagster's
webserver and the code it loads, the daemon's heartbeat, storage), each time that changes,
until a launch would work. Then it stops: afterwards /health/ready answers on request."""

from __future__ import annotations

import threading

from kra_api.gateway import DagsterGateway
from kra_api.logging_setup import get_logger
from kra_api.services.health_checks import readiness_checks

# Each round runs the readiness checks once (a GraphQL call, a store write); rare enough not
# to slow a busy machine's start-up, often enough for a log a person reads.
WATCH_EVERY_SECONDS = 5.0

log = get_logger("kra_api.startup")


def log_until_ready(
    gateway: DagsterGateway, stop: threading.Event, every: float = WATCH_EVERY_SECONDS
) -> None:
    """Log the failing readiness checks whenever they change; return once none fails or
    `stop` is set (the app shuts down)."""
    logged: dict[str, str] | None = None
    while not stop.is_set():
        checks = readiness_checks(gateway)
        failing = {
            name: str(check.get("error"))
            for name, check in checks.items()
            if check.get("status") != "healthy"
        }
        if not failing:
            log.info("ready", detail="storage, daemon and webserver answer: a launch would work")
            return
        if failing != logged:
            log.info("waiting_for", checks=failing)
            logged = failing
        stop.wait(every)
