"""REST API keys kept in the race store: issued once, stored as a hash, revocable at once.

Keys are 32 random bytes, so a plain SHA-256 is enough to keep them unrecoverable (a slow
password hash guards low-entropy secrets, which these are not) and lets the shim find a key by
its hash on every request: a revocation is seen by the very next request of every process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kra_api.tables import ApiKeyRow
from kra_pipeline.store.db import write_session

KEY_PREFIX = "kra_"


def key_hash(key: str) -> str:
    return hashlib.sha256(f"kra-api-key:{key}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredKey:
    """What the store knows of a key: everything but the key."""

    name: str
    fingerprint: str
    scopes: tuple[str, ...]
    rate_limit: int | None
    daily_limit: int | None
    created_at: datetime
    revoked_at: datetime | None


def _stored(row: ApiKeyRow) -> StoredKey:
    return StoredKey(
        row.name,
        row.fingerprint,
        tuple(row.scopes),
        row.rate_limit,
        row.daily_limit,
        row.created_at,
        row.revoked_at,
    )


def new_key() -> str:
    """A fresh random key (about 47 characters, URL-safe)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class KeyNameTaken(ValueError):
    """An active key has this name already (a revoked one does not count)."""


def _active_row(session: Session, name: str) -> ApiKeyRow | None:
    return session.scalar(
        select(ApiKeyRow).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
    )


def add_key(
    engine: Engine,
    name: str,
    key: str,
    fingerprint: str,
    scopes: list[str],
    rate_limit: int | None = None,
    daily_limit: int | None = None,
) -> None:
    """Store `key` under `name` as its hash; the caller shows the key once and forgets it.

    A name held only by revoked keys is free again; an active key's name is refused."""
    taken = KeyNameTaken(
        f"an active key is named {name!r}: replace it with `kra keys rotate {name}`, "
        f"or `kra keys revoke {name}` first, or pick another name"
    )
    try:
        with write_session(engine) as session:
            if _active_row(session, name) is not None:
                raise taken
            session.add(_row(name, key, fingerprint, scopes, rate_limit, daily_limit))
    except IntegrityError as error:  # another process issued the name meanwhile
        raise taken from error


def _row(
    name: str,
    key: str,
    fingerprint: str,
    scopes: list[str] | tuple[str, ...],
    rate_limit: int | None,
    daily_limit: int | None,
) -> ApiKeyRow:
    return ApiKeyRow(
        name=name,
        key_hash=key_hash(key),
        fingerprint=fingerprint,
        scopes=sorted(set(scopes)),
        rate_limit=rate_limit,
        daily_limit=daily_limit,
        created_at=datetime.now(UTC),
        revoked_at=None,
    )


def rotate_key(engine: Engine, name: str, key: str, fingerprint: str) -> StoredKey | None:
    """Replace the active key `name` by `key` with the same scopes and limits, in one
    transaction (the old key is refused from the same moment); None when none is active."""
    try:
        with write_session(engine) as session:
            old = _active_row(session, name)
            if old is None:
                return None
            old.revoked_at = datetime.now(UTC)
            session.flush()  # the old row leaves the active-name index before the new enters
            new = _row(name, key, fingerprint, old.scopes, old.rate_limit, old.daily_limit)
            session.add(new)
            session.flush()
            stored = _stored(new)
    except IntegrityError as error:  # rotated or issued by another process meanwhile
        raise KeyNameTaken(
            f"the key {name!r} was changed by another process meanwhile; see `kra keys list` "
            "and run the rotation again if it is still needed"
        ) from error
    return stored


def find_key(engine: Engine, key: str) -> StoredKey | None:
    """The active stored key `key` is, if any."""
    with Session(engine) as session:
        row = session.scalar(
            select(ApiKeyRow).where(
                ApiKeyRow.key_hash == key_hash(key), ApiKeyRow.revoked_at.is_(None)
            )
        )
        return None if row is None else _stored(row)


def list_keys(engine: Engine) -> list[StoredKey]:
    with Session(engine) as session:
        return [
            _stored(row)
            for row in session.scalars(
                select(ApiKeyRow).order_by(ApiKeyRow.name, ApiKeyRow.created_at)
            )
        ]


def revoke_key(engine: Engine, name: str) -> bool:
    """Revoke the key named `name`; False when no active key has that name."""
    with write_session(engine) as session:
        row = _active_row(session, name)
        if row is None:
            return False
        row.revoked_at = datetime.now(UTC)
    return True


def active_keys(engine: Engine) -> int:
    return sum(1 for key in list_keys(engine) if key.revoked_at is None)
