"""The REST API's own tables: its keys, its usage counts and its rate windows.

They share the race store's database and its one migration history (declared on the store's
`Base`), but they belong to the REST API: the pipeline never reads them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from kra_pipeline.store.tables import Base


class ApiRequestRow(Base):
    """One admitted REST request of a key, kept for the length of its rate window: the
    sliding-window log every shim process and worker counts against."""

    __tablename__ = "api_requests"
    __table_args__ = (Index("ix_api_requests_key_at", "key_id", "at_ms"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    at_ms: Mapped[int] = mapped_column(BigInteger)


class ApiDailyCountRow(Base):
    """Requests a key was admitted on one UTC day, for the optional daily limit."""

    __tablename__ = "api_daily_counts"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    hits: Mapped[int]


class ApiUsageRow(Base):
    """Authorised REST calls per key (fingerprint, never the key), action and status."""

    __tablename__ = "api_usage"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(128))
    calls: Mapped[int]


class ApiKeyRow(Base):
    """A REST API key issued with `kra keys add`: only its SHA-256 is kept, never the key.

    A name belongs to one active key at a time; revoked keys keep their rows (and their name),
    so a name can be issued again after a revocation or a rotation.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        Index(
            "uq_api_keys_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[list[str]]
    rate_limit: Mapped[int | None]
    daily_limit: Mapped[int | None]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
