"""The market history backfill (`kra backfill --market`, REST market=true): its estimate of
calls per API holds against the simulator, and bad input is refused saying what to change."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance
from fastapi.testclient import TestClient

from kra_api.schemas import BackfillRequest
from kra_api.services import market_estimate
from kra_api.services.market_backfill import plan_market_backfill
from kra_cli.main import main
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import DailyQuota
from kra_pipeline.kra.market import pool_months
from kra_pipeline.kra.market.pool_months import MARKET_APIS, fetch_month_items
from kra_pipeline.races.models import RaceEntrant, group_races
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.race_days import replace_collected_race_day
from kra_simulator import SimulatedWorld, SimulatorServer
from tests.api.conftest import HEADERS_A

BACKFILL = "/api/v2/collection/backfill"
# Jeju, a month before the trifecta (small grids), past whatever today is
MEET, MONTH = 2, "201505"
MAY = {"date_from": "20150501", "date_to": "20150531", "meets": [MEET], "market": True}


def hold_month(world: SimulatedWorld, meet: int, month: str) -> int:
    """Store the month's race days as the collected assets would; answers the races held."""
    engine, races = get_engine(), 0
    for race_date, day_meet in world.race_days(f"{month}01", f"{month}31"):
        if day_meet != meet:
            continue
        day = group_races(RaceEntrant.from_item(i) for i in world.race_day_items(meet, race_date))
        replace_collected_race_day(engine, race_date, meet, day)
        races += len(day)
    return races


def test_the_estimate_matches_the_calls_of_a_meet_month(
    simulator_env: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pages of 4,000 rows, so the month's grids take extra pages to foresee
    for module in (pool_months, market_estimate):
        monkeypatch.setattr(module, "MONTH_PAGE_SIZE", 4_000)
    races = hold_month(simulator_env.world, MEET, MONTH)
    plan = plan_market_backfill(get_engine(), BackfillRequest(**MAY))
    assert plan.meet_months == ((MEET, MONTH),) and plan.estimate.races == races > 0
    simulator_env.reset_stats()
    with KraClient() as client:
        for api in MARKET_APIS:
            fetch_month_items(client, api, MEET, MONTH)
    made = {api: simulator_env.stats.calls[api] for api in MARKET_APIS}
    assert plan.estimate.calls == made
    assert plan.estimate.extra_pages["API29_1"] > 0  # the pages were foreseen, not just calls
    assert plan.estimate.left_today == {api: 3000 for api in MARKET_APIS}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--market", "--meet", "5"], "--meet 1"),
        (["--market", "--from", "20140101"], "20150101 or later"),
        (["--market", "--to", "20991231"], "today or earlier"),
        (["--market", "--from", "20250110", "--to", "20250101"], "swap"),
        (["--market", "--from", "2025-01-01"], "YYYYMMDD"),
        (["--meet", "1", "--from", "20250101", "--to", "20250102"], "go with --market"),
        (["--from", "20250101"], "give --from and --to"),
        (["--market"], "collect the race days first (kra backfill --from 20150101"),
    ],
)
def test_kra_backfill_market_says_what_to_change(args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, ["backfill", *args])
    assert result.exit_code != 0
    assert says in result.output, result.output


def test_a_dry_run_of_nothing_held_says_why_and_succeeds() -> None:
    result = CliRunner().invoke(main, ["backfill", "--market", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "nothing to fetch" in result.output and "collect the race days first" in result.output


BAD_BODIES = [
    ({"date_from": "20140101", "market": True}, "20150101 or later"),
    ({"date_to": "20991231", "market": True}, "today or earlier"),
    ({"market": True, "meets": [4]}, "meets must be a subset"),
    ({"market": "yes"}, "valid boolean"),
    ({"date_from": "20250101", "date_to": "20250102", "spread": True}, "market=true"),
    ({"date_from": "20250101"}, "date_to (YYYYMMDD) required"),
    (MAY, "collect the race days first"),
]


def test_the_rest_market_flag_refuses_bad_input_with_a_reason(client: TestClient) -> None:
    for body, says in BAD_BODIES:  # one app for all: building one takes a second
        answer = client.post(BACKFILL, json=body, headers=HEADERS_A)
        assert answer.status_code == 422, (body, answer.text)
        assert says in answer.text, (body, answer.text)
    estimate = client.post(BACKFILL, json={**MAY, "dry_run": True}, headers=HEADERS_A)
    assert estimate.status_code == 200  # an estimate of nothing is no error, it says why
    assert "collect the race days first" in estimate.json()["message"]
    assert estimate.json()["estimate"]["partitions"] == 0


def test_past_todays_quota_it_needs_spread(
    make_client, dagster_instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRA_DAILY_QUOTA_PER_API", json.dumps({"API30_1": 1}))
    hold_month(SimulatedWorld(20250608, "20250701"), MEET, MONTH)
    client = make_client()
    estimate = client.post(BACKFILL, json={**MAY, "dry_run": True}, headers=HEADERS_A)
    assert estimate.status_code == 200, estimate.text
    cost = estimate.json()["estimate"]
    assert cost["partitions"] == 1 and cost["kra_calls"]["API30_1"] == 1  # TLA only in 2015
    assert cost["left_today"]["API30_1"] == 1 and estimate.json()["needs_confirm"] is False
    assert cost["left_today"]["API29_1"] == 3000
    monkeypatch.setenv("KRA_DAILY_QUOTA_PER_API", json.dumps({"API30_1": 1, "API179_1": 0}))
    client = make_client()
    quota = DailyQuota.from_settings(KraSettings())
    quota.take("API30_1")  # one call of API30_1 made today
    quota.close()
    refused = client.post(BACKFILL, json=MAY, headers=HEADERS_A)
    assert refused.status_code == 422
    assert "API30_1 needs about 1 calls and 0 are left today" in refused.json()["detail"]
    assert "spread" in refused.json()["detail"]
    # spread, it goes on to the launch (no webserver in these tests: 503)
    spread = client.post(BACKFILL, json={**MAY, "spread": True}, headers=HEADERS_A)
    assert spread.status_code == 503, spread.text
    assert dagster_instance.get_backfills() == []
