"""The REST API's per-key books: a sliding window and a daily count, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from kra_api.usage_store import admit, record_usage, usage_of
from kra_pipeline.store.db import get_engine

DAY_MS = 86_400_000
NOON = 20_000 * DAY_MS + DAY_MS // 2  # some UTC noon


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    if request.param == "sqlite":
        return get_engine()
    return get_engine(request.getfixturevalue("postgres_database_url"))


def test_never_more_than_the_limit_in_any_window(engine: Engine) -> None:
    key = f"window-{engine.dialect.name}"
    assert [admit(engine, key, 2, 10, now_ms=NOON + t) for t in (0, 4000)] == [None, None]
    refused = admit(engine, key, 2, 10, now_ms=NOON + 9000)
    assert refused is not None and refused.retry_after == 1  # the first leaves at +10 s
    assert admit(engine, key, 2, 10, now_ms=NOON + 10_000) is None
    assert admit(engine, key, 2, 10, now_ms=NOON + 13_000) is not None
    assert admit(engine, "another-key", 2, 10, now_ms=NOON + 13_000) is None


def test_the_daily_limit_resets_at_midnight_utc(engine: Engine) -> None:
    key = f"daily-{engine.dialect.name}"
    assert admit(engine, key, 0, 60, daily_limit=1, now_ms=NOON) is None
    refused = admit(engine, key, 0, 60, daily_limit=1, now_ms=NOON + 1000)
    assert refused is not None and "daily limit" in refused.reason
    assert 43_000 < refused.retry_after <= 43_200
    assert admit(engine, key, 0, 60, daily_limit=1, now_ms=NOON + DAY_MS) is None


def test_usage_adds_up_per_action_and_status(engine: Engine) -> None:
    key = f"usage-{engine.dialect.name}"
    for status in (200, 200, 404):
        record_usage(engine, key, "dash", "get_job", status)
    assert usage_of(engine, key) == [("get_job", 200, 2), ("get_job", 404, 1)]
