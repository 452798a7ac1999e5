"""Request ids, access logs, metrics, security headers and the last-resort 500."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.middleware.base import RequestResponseEndpoint

from kra_api.auth import AuthError, InsufficientScope
from kra_api.gateway import GatewayUnavailable, LaunchRejected
from kra_api.gateway.launches import RETRY_AFTER_SECONDS
from kra_api.guard import Guard, insufficient, unauthorised
from kra_api.logging_setup import get_logger
from kra_api.schemas import clip

REQUEST_ID_HEADER = "X-Request-ID"
# On every answer: no MIME sniffing of JSON, and no cache keeping what a key was shown.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

# A validation message is cut here: a message may quote the input, which may be huge.
MESSAGE_LIMIT = 300

log = get_logger("kra_api.http")


def _request_id(request: Request) -> str:
    """The caller's id when it is a sane token, else a fresh one (never echo arbitrary bytes)."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _SAFE_ID.match(given) else uuid.uuid4().hex


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


async def request_context(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """Bind the request id to every log line, time the request, turn crashes into a clean 500."""
    request_id = _request_id(request)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        log.exception("unhandled_error", error_id=error_id, path=request.url.path)
        response = JSONResponse(
            {
                "error": "Internal server error; quote error_id when reporting it",
                "error_id": error_id,
            },
            status_code=500,
        )
    elapsed = time.perf_counter() - started
    response.headers[REQUEST_ID_HEADER] = request_id
    response.headers.update(SECURITY_HEADERS)
    route = _route_template(request)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.observe(request.method, route, response.status_code, elapsed)
    log.info(
        "request",
        method=request.method,
        route=route,
        status=response.status_code,
        duration_ms=round(elapsed * 1000, 1),
        caller=getattr(request.state, "caller", None),
    )
    return response


def _location(error: dict[str, Any]) -> list[str | int]:
    """Where the problem is; a field name is the caller's input too, so it is clipped."""
    return [part if isinstance(part, int) else clip(str(part)) for part in error.get("loc", ())]


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in _location(error) if part != "body") or "body"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")[:MESSAGE_LIMIT]
    if error.get("type") == "json_invalid":
        return "the request body is not valid JSON; send a JSON object"
    if error.get("type") == "model_attributes_type" and where == "body":
        return "the body must be a JSON object sent with Content-Type: application/json"
    return f"{where}: {message}"


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with one readable line per problem; the offending input is not echoed back."""
    errors = [
        {"loc": _location(e), "msg": _describe(e), "type": e.get("type")} for e in exc.errors()
    ]
    summary = "; ".join(e["msg"] for e in errors)
    return JSONResponse(jsonable_encoder({"detail": errors, "message": summary}), status_code=422)


async def gateway_unavailable(request: Request, exc: GatewayUnavailable) -> JSONResponse:
    """503 with Retry-After: the webserver is down or still starting, worth asking again."""
    retry_after = max(1, round(exc.retry_after or RETRY_AFTER_SECONDS))
    headers = {"Retry-After": str(retry_after)}
    return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)


async def launch_rejected(request: Request, exc: LaunchRejected) -> JSONResponse:
    log.warning("dagster_rejected", reason=str(exc))
    return JSONResponse({"detail": str(exc)}, status_code=502)


async def insufficient_scope(request: Request, exc: InsufficientScope) -> JSONResponse:
    """403 with the exact detail callers match on, and the scope the key would need."""
    return insufficient(exc.scope)


async def auth_error(request: Request, exc: AuthError) -> JSONResponse:
    return unauthorised(exc)


def install(app: FastAPI) -> None:
    """Outermost first: request context (ids, logs, headers), CORS if configured, the guard."""
    settings = app.state.settings
    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type", REQUEST_ID_HEADER],
        )
    app.middleware("http")(request_context)
    app.add_exception_handler(InsufficientScope, insufficient_scope)  # type: ignore[arg-type]
    app.add_exception_handler(AuthError, auth_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(GatewayUnavailable, gateway_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(LaunchRejected, launch_rejected)  # type: ignore[arg-type]
