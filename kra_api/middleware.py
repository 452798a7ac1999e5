"""Request ids, access logs, metrics and the last-resort 500 for every request."""

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

from kra_api.gateway import GatewayUnavailable, LaunchRejected
from kra_api.gateway.launches import RETRY_AFTER_SECONDS
from kra_api.logging_setup import get_logger
from kra_api.schemas import clip

REQUEST_ID_HEADER = "X-Request-ID"
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


def install(app: FastAPI) -> None:
    app.middleware("http")(request_context)
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(GatewayUnavailable, gateway_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(LaunchRejected, launch_rejected)  # type: ignore[arg-type]
