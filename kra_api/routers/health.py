"""Service info, liveness, a detailed dependency check and Prometheus metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from kra_api.gateway.launches import RETRY_AFTER_SECONDS
from kra_api.services.health_checks import all_healthy, detailed_checks, readiness_checks

router = APIRouter(tags=["health"])


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
            "health_ready": "/health/ready",
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


@router.get("/health/detailed")
async def health_detailed(request: Request) -> dict[str, Any]:
    """Always 200; `status` is degraded when any dependency is not healthy. Computed at most
    once per HEALTH_CACHE_SECONDS and shared between requests."""
    gateway = request.app.state.gateway
    shared = request.app.state.detailed_answer
    checks = await asyncio.to_thread(shared.get, lambda: detailed_checks(gateway))
    return {
        "status": "healthy" if all_healthy(checks) else "degraded",
        "timestamp": _now(),
        "checks": checks,
    }


@router.get("/health/ready")
async def health_ready(request: Request) -> JSONResponse:
    """200 once a launch would work (storage, daemon, webserver with the code loaded, a
    writable race store); 503 with the failing checks and Retry-After until then. Computed at
    most once per HEALTH_CACHE_SECONDS and shared between requests."""
    gateway = request.app.state.gateway
    shared = request.app.state.ready_answer
    checks = await asyncio.to_thread(shared.get, lambda: readiness_checks(gateway))
    ready = all_healthy(checks)
    body = {"status": "ready" if ready else "not_ready", "timestamp": _now(), "checks": checks}
    if ready:
        return JSONResponse(jsonable_encoder(body))
    headers = {"Retry-After": str(round(RETRY_AFTER_SECONDS))}
    return JSONResponse(jsonable_encoder(body), status_code=503, headers=headers)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format; 404 unless METRICS_ENABLED=true."""
    collector = getattr(request.app.state, "metrics", None)
    if collector is None:
        raise HTTPException(404, detail="Metrics are disabled; set METRICS_ENABLED=true")
    body = await asyncio.to_thread(collector.render)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
