"""A shim's first start on a new home: the race store and Dagster's SQLite storages are both
created by Alembic, from different threads, and neither may spoil the other."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect

from kra_api.gateway import DagsterGateway
from kra_pipeline.store.db import SCHEMA_LOCK, dispose_engines, get_engine
from kra_pipeline.store.tables import Base


def test_race_stores_migrate_while_dagster_creates_its_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New race stores are migrated one after another for as long as Dagster is creating and
    stamping its storages, so the two Alembic runs overlap whatever the timing."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    Path(tmp_path, "dagster.yaml").write_text("")
    gateway = DagsterGateway("http://127.0.0.1:9")
    dagster_ready = threading.Event()
    errors: list[BaseException] = []
    stores: list[str] = []

    def migrate_race_stores() -> None:
        while not dagster_ready.is_set() or len(stores) < 3:
            url = f"sqlite:///{tmp_path / f'races-{len(stores)}.sqlite'}"
            stores.append(url)
            try:
                get_engine(url)
            except BaseException as error:
                errors.append(error)

    def open_dagster() -> None:
        try:
            gateway.warm_up()
        except BaseException as error:
            errors.append(error)
        finally:
            dagster_ready.set()

    threads = [threading.Thread(target=migrate_race_stores), threading.Thread(target=open_dagster)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    for url in stores:
        with get_engine(url).connect() as connection:
            assert set(inspect(connection).get_table_names()) >= set(Base.metadata.tables), url
    assert gateway.instance.get_run_records(limit=1) == []
    dispose_engines()


def test_a_readiness_probe_during_the_migration_does_not_deadlock_the_warm_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine the first /health/ready arrives while the warm-up still migrates the
    race store (holding SCHEMA_LOCK): the request waits to open Dagster's instance, and the
    warm-up, its migration done, goes on to open that instance too. Both must get through:
    once they waited on each other's lock for ever, and `kra up` saw no answer."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    Path(tmp_path, "dagster.yaml").write_text("")
    gateway = DagsterGateway("http://127.0.0.1:9")
    migrating = threading.Event()
    errors: list[BaseException] = []

    def warm_up() -> None:  # as kra_api.app._warm_up: the migration, then Dagster's storage
        try:
            with SCHEMA_LOCK:
                migrating.set()
                deadline = time.monotonic() + 5
                while not gateway._lock.locked() and time.monotonic() < deadline:
                    time.sleep(0.01)  # the request is in (or, once mended, waits before it)
                gateway.warm_up()
        except BaseException as error:
            errors.append(error)

    def probe() -> None:  # as /health/ready: the storage check opens the instance
        migrating.wait()
        try:
            gateway.storage_ok()
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=warm_up, daemon=True),
        threading.Thread(target=probe, daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))

    assert not any(thread.is_alive() for thread in threads), "the warm-up and the probe deadlocked"
    assert errors == []
