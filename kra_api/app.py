"""The FastAPI application: `uvicorn kra_api.app:create_app --factory`."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kra_api import middleware
from kra_api.auth import KeyRing
from kra_api.caller_secret import fingerprint_secret
from kra_api.gateway import DagsterGateway
from kra_api.logging_setup import configure_logging, get_logger
from kra_api.metrics import Metrics
from kra_api.routers import (
    collection,
    entrants,
    health,
    jobs,
    predict,
    races,
    track_record,
    usage,
)
from kra_api.services.launcher import CollectionLauncher
from kra_api.services.shared_answer import SharedAnswer
from kra_api.settings import ApiSettings, ConfigurationError
from kra_api.throttle import FailureThrottle

log = get_logger("kra_api")


def _warm_up(gateway: DagsterGateway, stop: threading.Event, log_readiness: bool) -> None:
    """Open the race store (migrating it first), then Dagster's storage, then freeze what
    start-up allocated; then, if asked, log what a launch still waits for until it would work.

    Otherwise each worker's first requests open the instance, and the garbage collector's full
    passes over Dagster's start-up objects stall the requests in flight (200-300 ms each,
    measured with two workers). Each step is logged: on a busy machine they take minutes.
    """
    from kra_api.services.readiness_log import log_until_ready
    from kra_pipeline.store.db import database_url, get_engine, masked_url

    steps = (
        ("race_store", get_engine, f"opening and migrating {masked_url(database_url())}"),
        ("dagster", gateway.warm_up, "opening Dagster's run and event storage"),
    )
    for what, open_storage, doing in steps:
        began = time.monotonic()
        log.info("warm_up", storage=what, doing=doing)
        try:
            open_storage()
        except Exception as error:  # may be down now and fine later; /health/detailed tells
            log.warning(
                "storage_warm_up_failed",
                storage=what,
                error=str(error).strip().splitlines()[0][:300],
            )
        else:
            log.info("warm_up_done", storage=what, seconds=round(time.monotonic() - began, 1))
    gc.collect()
    gc.freeze()
    if log_readiness:
        log_until_ready(gateway, stop)


@asynccontextmanager
async def _warmed_up(app: FastAPI) -> AsyncIterator[None]:
    """Warm up beside serving: storage that is down (dagster-postgres retries for seconds)
    must not hold up the start."""
    stop = threading.Event()
    args = (app.state.gateway, stop, app.state.log_readiness)
    threading.Thread(target=_warm_up, args=args, daemon=True).start()
    yield
    stop.set()


def _issued_keys() -> int:
    """Active keys issued with `kra keys add` (0 when the race store cannot be read)."""
    from kra_api.key_store import active_keys
    from kra_pipeline.store.db import get_engine

    try:
        return active_keys(get_engine())
    except Exception as error:
        log.warning("key_store_unreadable", error=str(error).strip().splitlines()[0][:300])
        return 0


def create_app(
    settings: ApiSettings | None = None,
    gateway: DagsterGateway | None = None,
    *,
    configure_logs: bool = True,
    log_readiness: bool = False,
) -> FastAPI:
    """Build the app; refuses to start in production without VALID_API_KEYS. With
    `log_readiness` (kra_api.startup) it logs what a launch waits for until it would work."""
    settings = settings or ApiSettings()
    if configure_logs:
        configure_logging(settings.log_level)
    entries = settings.api_key_entries  # raises ConfigurationError for unsafe keys
    fingerprint_secret()  # made on first start (0600 in KRA_HOME), before any key is seen
    if not entries and not _issued_keys():
        raise ConfigurationError(
            f"VALID_API_KEYS is not set and ENVIRONMENT={settings.environment}: set "
            'VALID_API_KEYS to a JSON array (["key1","key2"]) or a comma-separated list of '
            "API keys, or issue keys with `kra keys add`; only ENVIRONMENT=development "
            "accepts the public development key"
        )
    if settings.uses_dev_key:
        log.warning(
            "dev_api_key_enabled",
            hint="VALID_API_KEYS is unset, so the development key is accepted; "
            "set VALID_API_KEYS (and ENVIRONMENT=production) before exposing this server",
        )
    gateway = gateway or DagsterGateway(
        settings.dagster_webserver_url, launch_wait_seconds=settings.launch_wait_seconds
    )
    app = FastAPI(
        title="KRA race data REST API",
        version="2.0.0",
        description="Collect Korean horse-racing data through Dagster; /api/v2 needs X-API-Key.",
        lifespan=_warmed_up,
    )
    app.state.settings = settings
    app.state.log_readiness = log_readiness
    app.state.key_ring = KeyRing(entries, unknown_key_seconds=settings.unknown_key_cache_seconds)
    app.state.auth_throttle = FailureThrottle(
        settings.auth_failure_limit, settings.auth_failure_window_seconds
    )
    app.state.ready_answer = SharedAnswer(settings.health_cache_seconds)
    app.state.detailed_answer = SharedAnswer(settings.health_cache_seconds)
    app.state.gateway = gateway
    app.state.launcher = CollectionLauncher(gateway)
    app.state.metrics = (
        Metrics(gateway, include_keys=settings.metrics_include_keys)
        if settings.metrics_enabled
        else None
    )
    middleware.install(app)
    for module in (health, collection, jobs, races, entrants, predict, track_record, usage):
        app.include_router(module.router)
    return app
