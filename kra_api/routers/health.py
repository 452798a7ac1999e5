"""Service info, liveness, a detailed dependency check and Prometheus metrics."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from kra_api.gateway import DagsterGateway
from kra_api.services.race_store import check_store

router = APIRouter(tags=["health"])

HEARTBEAT_FRESH = timedelta(seconds=120)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/")
async def service_info() -> dict[str, Any]:
    """What this service is and where to go next."""
    return {
        "service": "KRA race data REST API",
        "version": "v2",
        "links": {
            "docs": "/docs",
            "openapi": "/openapi.json",
            "health": "/health",
            "health_detailed": "/health/detailed",
            "metrics": "/metrics",
            "collection": "/api/v2/collection/",
            "collection_status": "/api/v2/collection/status",
            "jobs": "/api/v2/jobs/",
            "races": "/api/v2/races",
            "usage": "/api/v2/usage",
        },
    }


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "healthy", "timestamp": _now()}


def _check(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"status": "healthy", **probe()}
    except Exception as exc:  # each dependency is reported, never raised
        return {"status": "unhealthy", "error": str(exc).strip().splitlines()[0][:300]}


def _daemon(gateway: DagsterGateway) -> dict[str, Any]:
    beats = gateway.daemon_heartbeats()
    if not beats:
        raise RuntimeError("no daemon heartbeat: start `dagster-daemon run` (or `kra up`)")
    newest = max(beats.values())
    if _now() - newest > HEARTBEAT_FRESH:
        raise RuntimeError(f"last daemon heartbeat at {newest.isoformat()}: is the daemon running?")
    return {"daemons": sorted(beats), "last_heartbeat": newest.isoformat()}


def detailed_checks(gateway: DagsterGateway) -> dict[str, dict[str, Any]]:
    """Blocking; one entry per dependency."""
    return {
        "dagster_storage": _check(lambda: {"runs": gateway.storage_ok()}),
        "dagster_daemon": _check(lambda: _daemon(gateway)),
        "dagster_webserver": _check(
            lambda: {"url": gateway.webserver_url, "version": gateway.ping_webserver()}
        ),
        "race_store": _check(lambda: {"url": check_store()}),
        "kra_api_key": _check(lambda: _kra_key(gateway)),
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


@router.get("/health/detailed")
async def health_detailed(request: Request) -> dict[str, Any]:
    """Always 200; `status` is degraded when any dependency is not healthy."""
    checks = await asyncio.to_thread(detailed_checks, request.app.state.gateway)
    healthy = all(check["status"] == "healthy" for check in checks.values())
    return {
        "status": "healthy" if healthy else "degraded",
        "timestamp": _now(),
        "checks": checks,
    }


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format; 404 unless METRICS_ENABLED=true."""
    collector = getattr(request.app.state, "metrics", None)
    if collector is None:
        raise HTTPException(404, detail="Metrics are disabled; set METRICS_ENABLED=true")
    body = await asyncio.to_thread(collector.render)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
