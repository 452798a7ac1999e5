"""The REST API's shared books in the race store: per-key rate windows and usage counts.

Every shim process and uvicorn worker that uses the same race store counts against the same
rows, so a key's limit holds however many workers answer it. A check-and-record runs in one
write transaction per key (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from kra_api.tables import ApiDailyCountRow, ApiRequestRow, ApiUsageRow
from kra_pipeline.store.db import write_session


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, and the whole seconds until one would be admitted."""

    reason: str
    retry_after: int


def _lock_key(session: Session, key_id: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        lock = int.from_bytes(hashlib.sha256(f"api-key:{key_id}".encode()).digest()[:8]) >> 1
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})


def admit(
    engine: Engine,
    key_id: str,
    limit: int,
    window_seconds: float,
    daily_limit: int | None = None,
    now_ms: int | None = None,
) -> Refusal | None:
    """Record one request of `key_id`, or say why not: never more than `limit` in any
    `window_seconds` (sliding window), nor more than `daily_limit` per UTC day."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    window_ms = int(window_seconds * 1000)
    day = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y%m%d")
    with write_session(engine) as session:
        _lock_key(session, key_id)
        mine = ApiRequestRow.key_id == key_id
        session.execute(
            delete(ApiRequestRow).where(mine, ApiRequestRow.at_ms <= now_ms - window_ms)
        )
        count, oldest = session.execute(
            select(func.count(), func.min(ApiRequestRow.at_ms)).where(mine)
        ).one()
        if limit and count >= limit:
            wait_ms = oldest + window_ms - now_ms
            return Refusal(
                f"rate limit of {limit} requests per {window_seconds:g} s reached for this key",
                max(1, -(-wait_ms // 1000)),
            )
        daily = session.get(ApiDailyCountRow, (key_id, day))
        if daily_limit and daily is not None and daily.hits >= daily_limit:
            midnight = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC) + timedelta(days=1)
            return Refusal(
                f"daily limit of {daily_limit} requests reached for this key (resets 00:00 UTC)",
                max(1, int(midnight.timestamp() - now_ms / 1000) + 1),
            )
        if daily is None:
            session.add(ApiDailyCountRow(key_id=key_id, day=day, hits=1))
        else:
            daily.hits += 1
        session.add(ApiRequestRow(key_id=key_id, at_ms=now_ms))
    return None


def record_usage(engine: Engine, key_id: str, label: str, action: str, status: int) -> None:
    """Count one authorised call."""
    with write_session(engine) as session:
        _lock_key(session, key_id)
        row = session.get(ApiUsageRow, (key_id, action, status))
        if row is None:
            session.add(
                ApiUsageRow(key_id=key_id, action=action, status=status, label=label, calls=1)
            )
        else:
            row.calls += 1
            row.label = label


def usage_of(engine: Engine, key_id: str) -> list[tuple[str, int, int]]:
    """(action, status, calls) of one key, by action then status."""
    with Session(engine) as session:
        rows = session.execute(
            select(ApiUsageRow.action, ApiUsageRow.status, ApiUsageRow.calls)
            .where(ApiUsageRow.key_id == key_id)
            .order_by(ApiUsageRow.action, ApiUsageRow.status)
        ).all()
    return [(action, status, calls) for action, status, calls in rows]


def requests_today(engine: Engine, key_id: str) -> int:
    day = datetime.now(UTC).strftime("%Y%m%d")
    with Session(engine) as session:
        row = session.get(ApiDailyCountRow, (key_id, day))
    return 0 if row is None else row.hits
