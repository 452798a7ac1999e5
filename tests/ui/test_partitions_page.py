"""The Dagster UI shows collected race days: partitions materialized against the offline
simulator appear on the asset's partitions page in a real browser, with their metadata.

Saves a screenshot of the page; with KRA_UPDATE_SCREENSHOTS=1 it replaces the README's copy,
docs/screenshots/raw_race_day_partitions.png (otherwise it goes to the test's temp folder, so a
local test run leaves the work tree clean).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from dagster import DagsterInstance

from kra_pipeline.definitions import defs
from kra_simulator import SIMULATOR_API_KEY
from tests.fixtures.simulator import StartSimulator
from tests.ui.webserver import (
    REPO_ROOT,
    dagster_webserver,
    dismiss_welcome_dialog,
    headless_chromium,
    prepare_dagster_home,
    require_chromium,
)

SCREENSHOT = REPO_ROOT / "docs" / "screenshots" / "raw_race_day_partitions.png"
# A fixed "today" keeps the dates on the screenshot the same from run to run.
SIMULATOR_TODAY = "20250701"
PAGE_TIMEOUT_MS = 30_000


def collect(instance: DagsterInstance, race_date: str, meet: int) -> dict[str, Any]:
    """Run `collect_race_cards` for one race day; the raw asset's materialization metadata."""
    job = defs.resolve_job_def("collect_race_cards")
    result = job.execute_in_process(partition_key=f"{race_date}|{meet}", instance=instance)
    assert result.success
    [raw] = [
        event.event_specific_data.materialization
        for event in result.get_asset_materialization_events()
        if event.asset_key.to_user_string() == "raw_race_day"
    ]
    return {key: value.value for key, value in raw.metadata.items()}


def partitions_page(base_url: str, asset: str, partition: str) -> str:
    """The asset's partitions tab, missing partitions hidden, one race day selected."""
    query = {
        "view": "partitions",
        "status": "FAILED,MATERIALIZED,MATERIALIZING",
        "partition": partition,
    }
    return f"{base_url}/assets/{asset}?{urlencode(query)}"


def test_materialized_race_days_show_on_the_partitions_page(
    start_kra_simulator: StartSimulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    require_chromium()
    simulator = start_kra_simulator(today=SIMULATOR_TODAY)
    monkeypatch.setenv("KRA_API_BASE_URL", simulator.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    home = prepare_dagster_home(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    race_days = simulator.world.race_days("20250601", "20250630")[-3:]
    latest_date, latest_meet = race_days[-1]
    shown = f"{latest_date}|{latest_meet}"

    # The webserver starts while the race days are collected: it reads the same instance.
    with dagster_webserver(os.environ, tmp_path / "webserver.log") as webserver:
        with DagsterInstance.get() as instance:
            metadata = {(d, m): collect(instance, d, m) for d, m in race_days}
        url = webserver.wait_ready()
        dismiss_welcome_dialog(url)
        with headless_chromium() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(partitions_page(url, "raw_race_day", shown))

            page.get_by_text(f"Materialized ({len(race_days)})", exact=True).wait_for()
            page.get_by_text(f"{len(race_days)} Partitions Selected", exact=True).wait_for()
            page.get_by_text(shown, exact=True).first.wait_for()
            race_count_row = page.locator("tr", has_text="race_count").first
            race_count_row.wait_for()

            dates_listed = {d for d, _ in race_days}
            for race_date in dates_listed:
                assert page.get_by_text(race_date, exact=True).first.is_visible()
            race_count = str(metadata[(latest_date, latest_meet)]["race_count"])
            assert race_count_row.inner_text().split() == ["race_count", race_count]
            entry_count = str(metadata[(latest_date, latest_meet)]["entry_count"])
            entry_row = page.locator("tr", has_text="entry_count").first
            assert entry_row.inner_text().split() == ["entry_count", entry_count]

            target = (
                SCREENSHOT
                if os.environ.get("KRA_UPDATE_SCREENSHOTS") == "1"
                else (tmp_path / SCREENSHOT.name)
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
