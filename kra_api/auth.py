"""API-key check for every /api/v2 route; keys are only ever handled as fingerprints."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

API_KEY_HEADER = "X-API-Key"
FINGERPRINT_LENGTH = 16

_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="Your API key")


def key_fingerprint(key: str) -> str:
    """A stable, non-reversible id of a key: tags runs with their caller without storing the key."""
    digest = hashlib.sha256(f"kra-api-caller:{key}".encode()).hexdigest()
    return digest[:FINGERPRINT_LENGTH]


@dataclass(frozen=True)
class Caller:
    """Who is calling, known only by the fingerprint of their key."""

    fingerprint: str


class KeyRing:
    """The accepted keys, compared in constant time so timing does not leak a key's prefix."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = [key.encode() for key in keys]

    def matches(self, candidate: str) -> bool:
        given = candidate.encode()
        found = False
        for key in self._keys:
            found |= hmac.compare_digest(given, key)
        return found


def require_caller(request: Request, api_key: str | None = Security(_header)) -> Caller:
    """FastAPI dependency: 401 without a key or with an unknown one."""
    if not api_key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="API key required")
    ring: KeyRing = request.app.state.key_ring
    if not ring.matches(api_key):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Invalid API key")
    caller = Caller(fingerprint=key_fingerprint(api_key))
    request.state.caller = caller.fingerprint
    return caller
