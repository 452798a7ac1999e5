"""Who is calling /api/v2 and what they may do; keys are only ever handled as fingerprints.

The guard (kra_api/guard.py) authenticates every /api/v2 request before its body is read and
leaves the caller's Identity on the request; the routes then ask for the scope they need.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from kra_api.caller_secret import fingerprint_secret
from kra_api.settings import READ, SCOPES, WRITE, KeyEntry
from kra_api.throttle import UnknownKeys

API_KEY_HEADER = "X-API-Key"
REQUIRED_SCOPE_HEADER = "X-Required-Scope"
FINGERPRINT_LENGTH = 16
INSUFFICIENT = "Insufficient permissions"

_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="Your API key")


def key_fingerprint(key: str, secret: bytes | None = None) -> str:
    """A stable, non-reversible id of a key: tags runs with their caller without storing the key.

    An HMAC-SHA256 with the state directory's secret (see caller_secret), so a tag shown in the
    Dagster UI cannot be checked against guessed keys."""
    salt = fingerprint_secret() if secret is None else secret
    digest = hmac.new(salt, f"kra-api-caller:{key}".encode(), hashlib.sha256).hexdigest()
    return digest[:FINGERPRINT_LENGTH]


def key_digest(key: str) -> str:
    """The whole HMAC of a key: how a key nobody issued is remembered without keeping it."""
    return hmac.new(fingerprint_secret(), key.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    """An authenticated key: fingerprint, label for usage, scopes and its own limits."""

    fingerprint: str
    name: str | None = None
    scopes: frozenset[str] = frozenset(SCOPES)
    rate_limit: int | None = None
    daily_limit: int | None = None

    @property
    def label(self) -> str:
        """How usage and metrics name the key: its name, else its fingerprint."""
        return self.name or self.fingerprint

    @classmethod
    def of(cls, entry: KeyEntry) -> Identity:
        return cls(
            key_fingerprint(entry.key),
            entry.name,
            entry.scopes,
            entry.rate_limit,
            entry.daily_limit,
        )


@dataclass(frozen=True)
class Caller:
    """Who is calling, known only by the fingerprint of their key."""

    fingerprint: str


class AuthError(Exception):
    """401: no key, or one nobody issued; `detail` is what the caller reads."""

    def __init__(self, detail: str, hint: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


class InsufficientScope(Exception):
    """403: the key is valid but lacks the scope this route needs."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class KeyStoreUnavailable(Exception):
    """The race store holding `kra keys` keys cannot be read (answered 503)."""


class KeyRing:
    """The keys from VALID_API_KEYS, compared in constant time so timing leaks no prefix,
    then the keys issued with `kra keys add`, looked up by hash on every request so that a
    revocation holds at once. A key the store did not know is remembered (by its HMAC) for
    `unknown_key_seconds`, so repeating it costs no look-up."""

    def __init__(
        self, entries: list[KeyEntry], stored: bool = True, unknown_key_seconds: float = 0.0
    ) -> None:
        self._entries = [(entry.key.encode(), Identity.of(entry)) for entry in entries]
        self._stored = stored
        self.unknown = UnknownKeys(unknown_key_seconds)

    def identify(self, candidate: str, *, look_up_store: bool = True) -> Identity | None:
        given = candidate.encode()
        found: Identity | None = None
        for key, identity in self._entries:
            if hmac.compare_digest(given, key):
                found = identity
        if found is None and self._stored and look_up_store:
            digest = key_digest(candidate)
            if digest in self.unknown:
                return None
            found = _stored_identity(candidate)
            if found is None:
                self.unknown.add(digest)
        return found

    def matches(self, candidate: str) -> bool:
        return self.identify(candidate) is not None


def _stored_identity(candidate: str) -> Identity | None:
    from kra_api.key_store import find_key
    from kra_pipeline.store.db import get_engine

    try:
        stored = find_key(get_engine(), candidate)
    except Exception as error:
        raise KeyStoreUnavailable(str(error).strip().splitlines()[0][:300]) from error
    if stored is None:
        return None
    return Identity(
        stored.fingerprint,
        stored.name,
        frozenset(stored.scopes),
        stored.rate_limit,
        stored.daily_limit,
    )


def authenticate(ring: KeyRing, given: str | None, *, look_up_store: bool = True) -> Identity:
    """The identity of a presented key, or AuthError saying what is wrong with it.

    `look_up_store=False` accepts only the configured keys (no database look-up)."""
    if not given:
        raise AuthError("API key required")
    identity = ring.identify(given, look_up_store=look_up_store)
    if identity is not None:
        return identity
    if given != given.strip() and ring.identify(given.strip(), look_up_store=look_up_store):
        raise AuthError(
            "Invalid API key", hint="the key has spaces around it; send it without them"
        )
    raise AuthError("Invalid API key")


def current_identity(request: Request) -> Identity:
    """The identity the guard authenticated (every /api/v2 route is behind the guard)."""
    identity = getattr(request.state, "identity", None)
    if identity is None:  # only when a route is mounted outside /api/v2 by mistake
        raise AuthError("API key required")
    return identity


def require_key(request: Request, _key: str | None = Security(_header)) -> Identity:
    """A dependency for routes any valid key may call, whatever its scopes."""
    return current_identity(request)


def require_scope(scope: str) -> Callable[..., Caller]:
    """A dependency: the caller, or 403 naming `scope` when their key lacks it."""

    def dependency(request: Request, _key: str | None = Security(_header)) -> Caller:
        identity = current_identity(request)
        if scope not in identity.scopes:
            raise InsufficientScope(scope)
        return Caller(fingerprint=identity.fingerprint)

    dependency.__name__ = f"require_{scope}"
    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by route_scopes
    return dependency


require_read = require_scope(READ)
require_write = require_scope(WRITE)
