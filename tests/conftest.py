"""Shared fixtures: each concern keeps its own fixture module under tests/fixtures/."""

import os

import pytest

pytest_plugins = [
    "tests.fixtures.environment",
    "tests.fixtures.samples",
    "tests.fixtures.simulator",
    "tests.fixtures.postgres",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In CI a PostgreSQL test must run: never let it be deselected by a marker expression."""
    if os.environ.get("CI") == "true" and config.getoption("-m"):
        raise pytest.UsageError("CI runs the whole suite: do not pass -m")
