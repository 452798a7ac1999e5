"""A shim's first start on a new home: the race store and Dagster's SQLite storages are both
created by Alembic, from different threads, and neither may spoil the other."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from kra_api.gateway import DagsterGateway
from kra_pipeline.store.db import dispose_engines, get_engine
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
