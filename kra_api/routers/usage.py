"""/api/v2/usage: what the calling key has used and what it may still use."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from kra_api.auth import Identity, require_key
from kra_api.usage_store import requests_today, usage_of
from kra_pipeline.store.db import get_engine

router = APIRouter(prefix="/api/v2/usage", tags=["usage"])


def _usage(identity: Identity) -> tuple[list[tuple[str, int, int]], int]:
    engine = get_engine()
    return usage_of(engine, identity.fingerprint), requests_today(engine, identity.fingerprint)


@router.get("")
async def own_usage(
    request: Request, identity: Annotated[Identity, Depends(require_key)]
) -> dict[str, Any]:
    """Calls made with your key by action and status (this one is counted after it answers),
    your scopes and your limits."""
    settings = request.app.state.settings
    rows, today = await asyncio.to_thread(_usage, identity)
    return {
        "key": identity.label,
        "scopes": sorted(identity.scopes),
        "limits": {
            "requests": identity.rate_limit or settings.rate_limit or None,
            "window_seconds": settings.rate_window_seconds,
            "daily": identity.daily_limit or settings.daily_limit or None,
        },
        "requests_today": today,
        "total": sum(calls for _, _, calls in rows),
        "usage": [
            {"action": action, "status": status, "calls": calls} for action, status, calls in rows
        ],
    }
