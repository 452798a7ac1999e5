"""`exclusive()`: one holder at a time among every process sharing the race store."""

import multiprocessing

import pytest
from sqlalchemy import Engine

from kra_pipeline.store.db import exclusive, get_engine


def _hold(url: str, name: str, held, release) -> None:  # runs in a child process
    with exclusive(get_engine(url), name):
        held.set()
        release.wait(30)


def _try(url: str, name: str, timeout: float) -> bool:
    try:
        with exclusive(get_engine(url), name, timeout_seconds=timeout):
            return True
    except Exception:
        return False


def test_a_second_process_waits_for_the_holder(store: Engine, store_url: str):
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(store_url, "launch 20250622|1", held, release))
    holder.start()
    try:
        assert held.wait(60)
        assert not _try(store_url, "launch 20250622|1", timeout=0.5)  # taken elsewhere
        assert _try(store_url, "launch 20250622|2", timeout=5)  # another name is free
    finally:
        release.set()
        holder.join(30)
    assert _try(store_url, "launch 20250622|1", timeout=5)  # free once released


def test_the_lock_is_released_when_the_block_raises(store: Engine):
    with pytest.raises(RuntimeError), exclusive(store, "boom"):
        raise RuntimeError("launch failed")
    # Would raise on timeout if the failed block had kept the lock.
    with exclusive(store, "boom", timeout_seconds=1):
        pass
