"""The door of /api/v2: key, rate limit and body size, all settled before the body is read.

A pure ASGI middleware rather than a route dependency, because FastAPI reads and parses a
request's body before it runs the route's dependencies: an anonymous caller could otherwise
make the server read and decode a large body only to be refused.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kra_api.auth import API_KEY_HEADER, AuthError, Identity, KeyRing, authenticate

GUARDED_PREFIX = "/api/v2"


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
        try:
            identity = authenticate(ring, headers.get(API_KEY_HEADER))
        except AuthError as error:
            await unauthorised(error)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["identity"] = identity
        state["caller"] = identity.fingerprint
        await self._admitted(scope, receive, send, identity, headers)

    async def _admitted(
        self, scope: Scope, receive: Receive, send: Send, identity: Identity, headers: Headers
    ) -> None:
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await too_large(self.max_body_bytes)(scope, receive, send)
            return
        await self.app(scope, self._bounded(receive), send)

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
