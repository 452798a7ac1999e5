"""The door of /api/v2: key, rate limit and body size, all settled before the body is read.

A pure ASGI middleware rather than a route dependency, because FastAPI reads and parses a
request's body before it runs the route's dependencies: an anonymous caller could otherwise
make the server read and decode a large body only to be refused.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kra_api.auth import (
    API_KEY_HEADER,
    INSUFFICIENT,
    REQUIRED_SCOPE_HEADER,
    AuthError,
    Identity,
    KeyRing,
    KeyStoreUnavailable,
    authenticate,
)
from kra_api.logging_setup import get_logger
from kra_api.route_scopes import required_scopes
from kra_api.settings import ApiSettings
from kra_api.throttle import FailureThrottle
from kra_api.usage_store import Refusal, admit, record_usage
from kra_pipeline.store.db import get_engine

GUARDED_PREFIX = "/api/v2"

log = get_logger("kra_api.guard")


def _too_large_detail(limit: int) -> str:
    return f"Request body too large: at most {limit} bytes are accepted"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; FastAPI re-raises an
    HTTPException met while reading a body, and its handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=_too_large_detail(limit))


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": _too_large_detail(limit)}, status_code=413)


def unauthorised(error: AuthError) -> JSONResponse:
    body: dict[str, Any] = {"detail": error.detail}
    if error.hint:
        body["hint"] = error.hint
    return JSONResponse(body, status_code=401)


class Guard:
    """Authenticates /api/v2 requests and bounds their bodies; other paths pass untouched."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        ring: KeyRing = scope["app"].state.key_ring
        throttle: FailureThrottle = scope["app"].state.auth_throttle
        address = client_address(scope)
        # An address past its failures is served only with a configured key (no look-up).
        blocked_for = throttle.retry_after(address)
        try:
            identity = await anyio.to_thread.run_sync(
                partial(authenticate, look_up_store=blocked_for is None),
                ring,
                headers.get(API_KEY_HEADER),
            )
        except AuthError as error:
            if blocked_for is not None:
                await too_many_failures(blocked_for)(scope, receive, send)
                return
            throttle.failed(address)
            await unauthorised(error)(scope, receive, send)
            return
        except KeyStoreUnavailable as error:
            detail = f"Cannot check the key: the race store holding API keys fails ({error})"
            await JSONResponse({"detail": detail}, 503, {"Retry-After": "5"})(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["identity"] = identity
        state["caller"] = identity.fingerprint
        settings: ApiSettings = scope["app"].state.settings
        refusal = await anyio.to_thread.run_sync(_admit, identity, settings)
        route, needed = required_scopes(scope)
        missing = sorted(needed - identity.scopes)
        if refusal is not None:
            await limited(refusal)(scope, receive, send)
            status = 429
        elif missing:  # before the body is read: a read key learns nothing of its JSON
            scope["route"] = route  # usage names the action refused, as the router would
            await insufficient(missing[0])(scope, receive, send)
            status = 403
        else:
            status = await self._admitted(scope, receive, send, identity, headers)
        await anyio.to_thread.run_sync(_account, scope, identity, status)

    async def _admitted(
        self, scope: Scope, receive: Receive, send: Send, identity: Identity, headers: Headers
    ) -> int:
        """Serve the request; returns the status it was answered with."""
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await too_large(self.max_body_bytes)(scope, receive, send)
            return 413
        status = 500

        async def noting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, self._bounded(receive), noting_send)
        return status

    def _bounded(self, receive: Receive) -> Receive:
        """`receive` that stops a streamed (chunked) body once it passes the limit."""
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return bounded


def insufficient(scope: str) -> JSONResponse:
    """403 with the exact detail callers match on, and the scope the key would need."""
    return JSONResponse(
        {"detail": INSUFFICIENT, "required_scope": scope},
        status_code=403,
        headers={REQUIRED_SCOPE_HEADER: scope},
    )


def client_address(scope: Scope) -> str:
    """The peer's address (behind a proxy: the proxy's, unless uvicorn trusts its headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def too_many_failures(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {
            "detail": "Too many requests without a valid API key from this address; send a "
            f"valid X-API-Key, or wait {retry_after} s",
            "retry_after": retry_after,
        },
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


def limited(refusal: Refusal) -> JSONResponse:
    return JSONResponse(
        {"detail": f"Too many requests: {refusal.reason}", "retry_after": refusal.retry_after},
        status_code=429,
        headers={"Retry-After": str(refusal.retry_after)},
    )


def _admit(identity: Identity, settings: ApiSettings) -> Refusal | None:
    """The key's limits (its own, else the defaults); admits when the store is down."""
    limit = identity.rate_limit or settings.rate_limit
    daily = identity.daily_limit or settings.daily_limit or None
    if not limit and not daily:
        return None
    try:
        return admit(get_engine(), identity.fingerprint, limit, settings.rate_window_seconds, daily)
    except Exception as error:  # availability first: a broken store must not lock everyone out
        log.warning("rate_limit_unavailable", error=str(error).strip().splitlines()[0][:300])
        return None


def action_of(scope: Scope) -> str:
    """The route's name (e.g. collect_async, cancel_job): few values, never caller input."""
    route = scope.get("route")
    return getattr(route, "name", None) or "unmatched"


def _account(scope: Scope, identity: Identity, status: int) -> None:
    action = action_of(scope)
    metrics = getattr(scope["app"].state, "metrics", None)
    if metrics is not None:
        metrics.count_call(identity.label, action, status)
    try:
        record_usage(get_engine(), identity.fingerprint, identity.label, action, status)
    except Exception as error:
        log.warning("usage_unrecorded", error=str(error).strip().splitlines()[0][:300])
