"""`kra backfill`: bad input is refused saying what to type; a range already collected
launches nothing (the resume path), without a webserver."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from dagster import AssetMaterialization, DagsterInstance

from kra_cli.main import main
from kra_pipeline.contract import (
    COLLECTED_ASSET,
)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "20250601", "--to", "20250602", "--meets", "4"], "comma list"),
        (["--from", "2025-06-01", "--to", "20250602"], "YYYYMMDD"),
        (["--from", "20250610", "--to", "20250601"], "swap"),
    ],
)
def test_bad_input_is_refused(args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, ["backfill", *args])
    assert result.exit_code != 0
    assert says in result.output


def test_a_collected_range_launches_nothing(
    isolated_kra_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = isolated_kra_home / "dagster"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_WEBSERVER_URL", "http://127.0.0.1:9")  # nothing listens there
    with DagsterInstance.get() as instance:
        for key in ("20250601|1", "20250602|1"):
            instance.report_runless_asset_event(
                AssetMaterialization(COLLECTED_ASSET, partition=key)
            )
    args = ["backfill", "--from", "20250601", "--to", "20250602", "--meets", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 partitions in the range, 2 already collected" in result.output


@pytest.fixture
def no_webserver(isolated_kra_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = isolated_kra_home / "dagster"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_WEBSERVER_URL", "http://127.0.0.1:9")  # nothing listens there


@pytest.mark.usefixtures("no_webserver")
def test_dry_run_prints_the_estimate_and_launches_nothing() -> None:
    args = ["backfill", "--from", "20240901", "--to", "20241031", "--meets", "1", "--dry-run"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output  # no webserver needed: nothing launched
    assert "Estimate: 61 partitions; about" in result.output
    assert "API4_3" in result.output and "day(s) of the daily quota" in result.output


@pytest.mark.usefixtures("no_webserver")
def test_a_large_backfill_needs_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_BACKFILL_CONFIRM_PARTITIONS", "10")
    args = ["backfill", "--from", "20240901", "--to", "20240905"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "15 partitions is more than API_BACKFILL_CONFIRM_PARTITIONS=10" in result.output
    assert "--yes" in result.output
    launched = CliRunner().invoke(main, [*args, "--yes"])  # past the check: no webserver
    assert "API_BACKFILL_CONFIRM_PARTITIONS" not in launched.output
