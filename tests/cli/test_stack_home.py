"""`kra up` on a brand-new DAGSTER_HOME: its children start together and must all come up.

The webserver, the daemon and each API worker open the instance at the same moment. Unprepared,
4 processes opening a new SQLite home failed in 9 of 10 trials (duplicate tables, two Alembic
heads), which is how `kra up` once died in CI.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kra_cli.stack import prepare_dagster_home

pytestmark = pytest.mark.slow
OPEN_INSTANCE = "from dagster import DagsterInstance; DagsterInstance.get().get_runs(limit=1)"
CHILDREN = 4


def test_children_of_a_new_home_all_open_its_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    prepare_dagster_home()

    env = dict(os.environ, DAGSTER_HOME=str(home))
    children = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_INSTANCE], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(CHILDREN)
    ]
    failures = [child.communicate()[1] for child in children if child.wait() != 0]
    assert failures == []

    for database in (home / "history" / "runs.db", home / "schedules" / "schedules.db"):
        with sqlite3.connect(database) as connection:
            heads = connection.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
        assert heads == 1, f"{database} has {heads} Alembic heads"
