"""A throwaway DAGSTER_HOME configured exactly like the project's (the repo's dagster.yaml)."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

from tests.fixtures.dagster_webserver import REPO_ROOT, prepare_dagster_home

__all__ = ["REPO_ROOT", "clock_advanced_by", "materialize_command", "prepare_dagster_home"]

ASSET_SELECTION = "raw_race_day,collected_race_day,enriched_race_day"


def dagster_cli() -> str:
    """The `dagster` console script of this environment."""
    return str(Path(sys.executable).with_name("dagster"))


def materialize_command(partition_key: str) -> list[str]:
    """`dagster asset materialize` of the three race-day assets: one run in its own process."""
    return [
        dagster_cli(),
        "asset",
        "materialize",
        "-m",
        "kra_pipeline.definitions",
        "--select",
        ASSET_SELECTION,
        "--partition",
        partition_key,
    ]


@contextmanager
def clock_advanced_by(seconds: float, *modules: str) -> Iterator[None]:
    """Dagster's clock, as read by `modules`, runs `seconds` ahead: timeouts expire at once.

    Only the clock is replaced; the monitoring logic under test runs unchanged.
    """
    from dagster._time import get_current_datetime, get_current_timestamp

    def timestamp() -> float:
        return get_current_timestamp() + seconds

    def now() -> dt.datetime:
        return get_current_datetime() + dt.timedelta(seconds=seconds)

    with ExitStack() as stack:
        for name in modules:
            module = importlib.import_module(name)
            for attribute, replacement in (
                ("get_current_timestamp", timestamp),
                ("get_current_datetime", now),
            ):
                if hasattr(module, attribute):
                    stack.enter_context(mock.patch.object(module, attribute, replacement))
        yield
