"""The scope a request's route needs, found before the body is read.

FastAPI parses a route's body before it runs the route's dependencies, so a read key posting
malformed JSON to a write route would learn about its JSON (422) before being told it may not
write (403). The guard asks here first: the route is matched the way the router will match it,
and its `require_scope` dependency names the scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

SCOPE_ATTRIBUTE = "required_scope"


def _scopes_of(dependant: Dependant) -> set[str]:
    found = set()
    needed = getattr(dependant.call, SCOPE_ATTRIBUTE, None)
    if isinstance(needed, str):
        found.add(needed)
    for child in dependant.dependencies:
        found |= _scopes_of(child)
    return found


def _routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, with included routers opened (FastAPI wraps them since 0.16x)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def required_scopes(scope: Scope) -> tuple[BaseRoute | None, frozenset[str]]:
    """The route matching this request and the scopes it needs (none when no route matches)."""
    for route in _routes(scope["app"].router.routes):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            dependant = getattr(route, "dependant", None)
            return route, frozenset(_scopes_of(dependant)) if dependant else frozenset()
    return None, frozenset()
