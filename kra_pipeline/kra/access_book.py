"""Which KRA APIs this key may use, learned from KRA's own answers, never from a probe.

A key is granted each API separately on data.go.kr; one it lacks answers code 20. The client
notes, next to the daily quota's count (same store, across processes), when each API last
answered and when it last refused, so `/health/detailed` and `kra diagnose` can list the APIs
the key may use without spending a call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import Engine, text

TABLE = "kra_api_access"
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "api VARCHAR(32) PRIMARY KEY, answered_at VARCHAR(40), refused_at VARCHAR(40), "
    "refusal VARCHAR(500))"
)
_ANSWERED = text(
    f"INSERT INTO {TABLE} (api, answered_at) VALUES (:api, :at) "
    "ON CONFLICT (api) DO UPDATE SET answered_at = :at"
)
_REFUSED = text(
    f"INSERT INTO {TABLE} (api, refused_at, refusal) VALUES (:api, :at, :why) "
    "ON CONFLICT (api) DO UPDATE SET refused_at = :at, refusal = :why"
)
_READ = text(f"SELECT api, answered_at, refused_at, refusal FROM {TABLE} ORDER BY api")


@dataclass(frozen=True)
class ApiAccess:
    """What KRA last said about one API for this key."""

    api: str
    answered_at: str | None
    refused_at: str | None
    refusal: str | None

    @property
    def usable(self) -> bool:
        """Answered after its last refusal (or never refused)."""
        if self.refused_at is None:
            return self.answered_at is not None
        return self.answered_at is not None and self.answered_at > self.refused_at


def create_table(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(_CREATE))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def note_answer(engine: Engine, api: str) -> None:
    with engine.begin() as connection:
        connection.execute(_ANSWERED, {"api": api, "at": _now()})


def note_refusal(engine: Engine, api: str, message: str) -> None:
    with engine.begin() as connection:
        connection.execute(_REFUSED, {"api": api, "at": _now(), "why": message[:500]})


def read_access(engine: Engine) -> list[ApiAccess]:
    """Every API KRA has answered or refused for this key so far, by name (the table exists:
    the daily quota creates it with its own)."""
    with engine.connect() as connection:
        return [ApiAccess(*row) for row in connection.execute(_READ)]


class AccessSummary(TypedDict):
    usable: list[str]
    refused: dict[str, str | None]


def access_summary(books: list[ApiAccess]) -> AccessSummary:
    """The APIs usable now, and those refused since they last answered (with KRA's words)."""
    return {
        "usable": sorted(book.api for book in books if book.usable),
        "refused": {
            book.api: book.refusal for book in books if not book.usable and book.refused_at
        },
    }
