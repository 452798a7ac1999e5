"""SharedRateLimiter: one budget per window, shared by every process using the same KRA_HOME."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.limiter import SharedRateLimiter
from tests.fixtures.postgres import temporary_postgres_database


def test_default_bucket_lives_in_kra_home(isolated_kra_home: Path) -> None:
    settings = KraSettings(api_base_url="http://127.0.0.1:1")
    assert settings.resolved_limiter_url() == f"sqlite:///{isolated_kra_home}/rate_limiter.sqlite"
    with SharedRateLimiter.from_settings(settings):
        assert (isolated_kra_home / "rate_limiter.sqlite").exists()


def test_budget_is_spent_then_refused_with_a_wait(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bucket.sqlite"
    with SharedRateLimiter(3, 60, url) as limiter:
        assert [limiter.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
        wait = limiter.try_acquire()
        assert 0 < wait <= 61.2


def test_a_second_limiter_on_the_same_file_sees_the_spent_budget(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bucket.sqlite"
    with SharedRateLimiter(2, 60, url) as first, SharedRateLimiter(2, 60, url) as second:
        assert first.try_acquire() == 0.0
        assert second.try_acquire() == 0.0
        assert first.try_acquire() > 0
        assert second.try_acquire() > 0


def test_separate_state_directories_have_separate_budgets(tmp_path: Path) -> None:
    with (
        SharedRateLimiter(1, 60, f"sqlite:///{tmp_path}/a.sqlite") as a,
        SharedRateLimiter(1, 60, f"sqlite:///{tmp_path}/b.sqlite") as b,
    ):
        assert a.try_acquire() == 0.0
        assert b.try_acquire() == 0.0


def test_unknown_limiter_url_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="KRA_LIMITER_URL"):
        SharedRateLimiter(1, 60, "redis://127.0.0.1/0")


def _take_tokens(
    url: str, limit: int, window: float, count: int, out: multiprocessing.Queue
) -> None:
    with SharedRateLimiter(limit, window, url) as limiter:
        for _ in range(count):
            limiter.acquire()
            out.put(time.time())


def test_processes_sharing_a_bucket_never_exceed_the_window(tmp_path: Path) -> None:
    """4 processes × 5 tokens at 4 per 0.5 s: no 0.5 s span may hold more than 4 acquisitions."""
    url = f"sqlite:///{tmp_path}/bucket.sqlite"
    limit, window, per_process = 4, 0.5, 5
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=_take_tokens, args=(url, limit, window, per_process, out))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    stamps = sorted(out.get(timeout=60) for _ in range(4 * per_process))
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0
    assert len(stamps) == 20
    busiest = max(
        sum(1 for later in stamps[i:] if later - first < window) for i, first in enumerate(stamps)
    )
    assert busiest <= limit


@pytest.fixture
def postgres_limiter_url(postgres_server_url: str) -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server (skipped locally when absent)."""
    with temporary_postgres_database("kra_limiter") as url:
        yield url


@pytest.mark.postgres
def test_postgres_bucket_is_shared_between_limiters(postgres_limiter_url: str) -> None:
    with (
        SharedRateLimiter(2, 60, postgres_limiter_url) as first,
        SharedRateLimiter(2, 60, postgres_limiter_url) as second,
    ):
        assert first.try_acquire() == 0.0
        assert second.try_acquire() == 0.0
        assert first.try_acquire() > 0
        assert second.try_acquire() > 0
