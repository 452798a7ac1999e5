"""A real headless Chromium for the UI tests (the webserver helpers live in
tests/fixtures/dagster_webserver.py). Chromium is Debian's package
(scripts/install_browser.sh); Playwright only drives it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.fixtures.dagster_webserver import (  # re-exported for the UI tests
    REPO_ROOT,
    Webserver,
    dagster_webserver,
    free_port,
    prepare_dagster_home,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip locally without Chromium; in CI a missing browser is a failure, never a skip."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: run scripts/install_browser.sh (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def dismiss_welcome_dialog(url: str) -> None:
    """Mark the webserver's first-visit community dialog as seen, so it covers nothing."""
    answer = httpx.post(f"{url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=10)
    answer.raise_for_status()


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


__all__ = [
    "REPO_ROOT",
    "Webserver",
    "dagster_webserver",
    "dismiss_welcome_dialog",
    "free_port",
    "headless_chromium",
    "prepare_dagster_home",
    "require_chromium",
]
