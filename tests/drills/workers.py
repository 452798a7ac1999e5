"""Entry points of the pipeline processes the drills start: one process = one Dagster worker.

Spawned processes get the drill's environment explicitly (KRA_HOME, KRA_* settings), so they
share the race store and the rate limiter with the test exactly as separate runs on one machine.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

# Imported once by the fork server, so each worker starts in milliseconds instead of
# importing Dagster again (seconds per process on a busy machine).
PRELOAD = ["dagster", "sqlalchemy", "alembic", "tests.drills.race_days", "tests.drills.workers"]


def pipeline_pool(processes: int) -> ProcessPoolExecutor:
    """Fresh single-threaded worker processes (forkserver: no inherited threads).

    Not multiprocessing.Pool: its exit sends SIGTERM, which Dagster's interrupt handlers in the
    workers defer, so the pool waits forever; these workers leave on a sentinel instead.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(processes, mp_context=context)


def use_environment(env: dict[str, str]) -> None:
    """Exactly the drill's KRA_*/DAGSTER_* variables: a reused worker (or the fork server, started
    by an earlier drill) must not keep another drill's race store or instance."""
    for name in [n for n in os.environ if n.startswith(("KRA_", "DAGSTER_"))]:
        del os.environ[name]
    os.environ.update(env)
    from kra_pipeline.store.db import dispose_engines

    dispose_engines()


def materialize_partitions(env: dict[str, str], keys: list[str]) -> dict[str, bool]:
    """Materialize each partition in turn on an in-memory instance; success by key."""
    use_environment(env)
    from dagster import DagsterInstance

    from tests.drills.race_days import materialize_race_day

    outcome: dict[str, bool] = {}
    with DagsterInstance.ephemeral() as instance:
        for key in keys:
            outcome[key] = materialize_race_day(instance, key, raise_on_error=False).success
    return outcome


def materialize_on_instance(env: dict[str, str], keys: list[str]) -> dict[str, str]:
    """Like `materialize_partitions`, on the DAGSTER_HOME instance; outcome by key: "success",
    "failure", or the error that escaped Dagster (e.g. its storage was unreachable)."""
    use_environment(env)
    from dagster import DagsterInstance

    from tests.drills.race_days import materialize_race_day

    outcome: dict[str, str] = {}
    with DagsterInstance.get() as instance:
        for key in keys:
            try:
                result = materialize_race_day(instance, key, raise_on_error=False)
                outcome[key] = "success" if result.success else "failure"
            except Exception as error:
                outcome[key] = f"{type(error).__name__}: {str(error)[:200]}"
    return outcome
