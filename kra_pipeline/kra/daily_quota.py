"""KRA's daily quota: at most N calls per API per KST calendar day, counted across processes.

KRA counts each API of a key separately and resets at 00:00 in Seoul (3,000 a day for a
development account as of 2026-08). The count lives next to the rate limiter's (same
KRA_LIMITER_URL: a SQLite file under KRA_HOME or PostgreSQL), one row per (API, day), taken
with a single conditional upsert so two processes can never both take the last call.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, create_engine, text

from kra_pipeline.contract import (
    DATE_FORMAT,
    KST,
)
from kra_pipeline.kra.access_book import ApiAccess, create_table, read_access
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.errors import KraDailyQuotaError

TABLE = "kra_daily_calls"
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "api VARCHAR(32) NOT NULL, day CHAR(8) NOT NULL, calls INTEGER NOT NULL, "
    "PRIMARY KEY (api, day))"
)
_TAKE = text(
    f"INSERT INTO {TABLE} (api, day, calls) VALUES (:api, :day, 1) "
    f"ON CONFLICT (api, day) DO UPDATE SET calls = {TABLE}.calls + 1 "
    f"WHERE {TABLE}.calls < :limit RETURNING calls"
)
_COUNT = text(f"SELECT calls FROM {TABLE} WHERE api = :api AND day = :day")


def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def next_reset(now: dt.datetime) -> dt.datetime:
    """The next 00:00 KST after `now`, when KRA's daily counts start again."""
    day = now.astimezone(KST).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0), KST)


class DailyQuota:
    """Takes one call of an API from today's quota, or raises KraDailyQuotaError."""

    def __init__(self, limits: dict[str, int], default: int, url: str) -> None:
        self.limits = limits
        self.default = default
        self._engine: Engine = create_engine(_sqlalchemy_url(url))
        with self._engine.begin() as connection:
            connection.exec_driver_sql(_CREATE)
        create_table(self._engine)

    @property
    def engine(self) -> Engine:
        """The store of the counts, shared with the book of which APIs answered."""
        return self._engine

    @classmethod
    def from_settings(cls, settings: KraSettings) -> DailyQuota:
        return cls(
            dict(settings.daily_quota_per_api),
            settings.daily_quota,
            settings.resolved_limiter_url(),
        )

    def limit(self, api: str) -> int:
        """Calls a day for `api`; 0 means no daily quota."""
        return self.limits.get(api, self.default)

    def used(self, api: str, now: dt.datetime | None = None) -> int:
        day = (now or dt.datetime.now(KST)).astimezone(KST).strftime(DATE_FORMAT)
        with self._engine.connect() as connection:
            return int(connection.execute(_COUNT, {"api": api, "day": day}).scalar() or 0)

    def take(self, api: str, now: dt.datetime | None = None) -> None:
        """Count one call of `api` today; raise, naming the API, count and reset, when spent."""
        limit = self.limit(api)
        if limit <= 0:
            return
        moment = now or dt.datetime.now(KST)
        day = moment.astimezone(KST).strftime(DATE_FORMAT)
        with self._engine.begin() as connection:
            taken = connection.execute(_TAKE, {"api": api, "day": day, "limit": limit}).scalar()
        if taken is None:
            reset = next_reset(moment)
            raise KraDailyQuotaError(
                "DAILY",
                api,
                f"the daily quota of {api} is spent: {limit} of {limit} calls made today "
                f"({day} KST); it resets at {reset:%Y-%m-%d %H:%M} KST. The step stops without "
                "retrying; the days left resume after the reset. Raise KRA_DAILY_QUOTA (or "
                f"KRA_DAILY_QUOTA_PER_API='{{\"{api}\": N}}') if your key allows more",
            )

    def close(self) -> None:
        self._engine.dispose()


def key_access(settings: KraSettings) -> list[ApiAccess]:
    """What KRA's answers told of each API for this key, read from the quota's store."""
    quota = DailyQuota.from_settings(settings)
    try:
        return read_access(quota.engine)
    finally:
        quota.close()
