"""A guard in front of the Dagster webserver's app, for `kra up`.

The webserver has no authentication and executes GraphQL mutations sent as GET requests or as
form posts, whatever the Host header, so any page open in the operator's browser could launch or
cancel runs on a loopback webserver (cross-site requests, DNS rebinding). Its only switch,
`--read-only`, also turns the UI's own buttons off. This guard lets the UI work and refuses:
- a Host header that is not the webserver's own name (loopback, or DAGSTER_WEBSERVER_ALLOWED_HOSTS);
- an Origin other than the Host (a cross-site page), on HTTP requests and websockets alike;
- a mutation in a GET's query string, and a GraphQL POST that is not JSON (what a plain HTML
  form or image tag can send without the browser asking first).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ALLOWED_HOSTS_ENV = "DAGSTER_WEBSERVER_ALLOWED_HOSTS"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_MUTATION = re.compile(r"\bmutation\b", re.IGNORECASE)
_GRAPHQL_BODIES = ("application/json", "application/graphql")


def allowed_hosts(port: int, extra: str | None = None) -> frozenset[str]:
    """The Host values the webserver answers to: loopback names with its port, plus the
    operator's own (comma-separated, as the browser sends them, e.g. `dagster.example:443`)."""
    names = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    names |= {part.strip().lower() for part in (extra or "").split(",") if part.strip()}
    return frozenset(names)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def refusal(scope: Scope, hosts: Iterable[str]) -> tuple[int, str] | None:
    """(status, reason) when the request must not reach the webserver, else None."""
    headers = _headers(scope)
    host = headers.get("host", "").lower()
    if host not in hosts:
        return 403, (
            f"Host {host!r} is not this webserver's name; add it to {ALLOWED_HOSTS_ENV} "
            "if you reach the webserver through your own proxy"
        )
    origin = headers.get("origin")
    if origin is not None and urlsplit(origin).netloc.lower() != host:
        return 403, f"cross-site request from Origin {origin!r} refused"
    if scope["type"] != "http" or not scope.get("path", "").rstrip("/").endswith("/graphql"):
        return None
    method = scope.get("method", "GET")
    if method == "GET":
        query = " ".join(
            parse_qs(scope.get("query_string", b"").decode("latin-1")).get("query", [])
        )
        if _MUTATION.search(query):
            return 405, "GraphQL mutations are accepted only as POST with application/json"
    elif method == "POST":
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _GRAPHQL_BODIES:
            return 415, "GraphQL POSTs must have Content-Type application/json"
    return None


class WebserverGuard:
    """ASGI middleware: refused requests get a plain-text reason; the rest pass untouched."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refused = refusal(scope, self.hosts)
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, reason = refused
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
            return
        body = json.dumps({"detail": reason}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
