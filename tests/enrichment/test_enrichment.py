"""Enrichment picks the cheaper path, never repeats a fresh whole-meet listing, and takes the
listing with retired horses once looking them up one by one would cost more."""

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kra_pipeline.enrichment.fetch import (
    REFERENCE_KINDS,
    _fetch_kind,
    _KindFetch,
    enrich_races,
    plan_fetch,
)
from kra_pipeline.enrichment.plan import DEFAULT_FULL_LISTING_COST
from kra_pipeline.kra.client import KraClient
from kra_pipeline.races.models import Race, RaceEntrant, group_races
from kra_pipeline.store.db import get_engine
from kra_simulator import SIMULATOR_API_KEY, SimulatorServer

WEEK = timedelta(days=7)
PAGE = 1000  # the client's default page size


def test_a_few_missing_ids_are_looked_up_one_by_one():
    plan = plan_fetch("jockey", ["080405"])
    assert not plan.use_listing
    assert plan.estimated_calls == 1


def test_many_missing_ids_take_one_listing():
    plan = plan_fetch("horse", [f"{n:07d}" for n in range(40)])
    assert plan.use_listing
    assert plan.estimated_calls == 2


def test_a_fresh_listing_is_not_repeated_for_ids_it_lacked():
    plan = plan_fetch("horse", [f"{n:07d}" for n in range(40)], listing_is_fresh=True)
    assert not plan.use_listing
    assert plan.estimated_calls == 40


def races_of(simulator: SimulatorServer, race_date: str, meet: int):
    items = simulator.world.race_day_items(meet, race_date)
    return group_races(RaceEntrant.from_item(item) for item in items)


def test_second_day_of_a_meet_reuses_the_cache_and_skips_the_listing(simulator_env):
    days = [d for d, m in simulator_env.world.race_days("20250501", "20250531") if m == 1]
    engine = get_engine()
    now = datetime.now(UTC)
    with KraClient() as client:
        first = enrich_races(
            engine, client, races_of(simulator_env, days[0], 1), max_age=WEEK, now=now
        )
        second = enrich_races(
            engine, client, races_of(simulator_env, days[1], 1), max_age=WEEK, now=now
        )
    assert [plan.use_listing for plan in first.plans] == [True, True, True]
    assert not any(plan.use_listing for plan in second.plans)
    assert first.missing_detail_count == 0
    assert second.missing_detail_count == 0
    # The second day only looks up, one by one, the horses the active registry no longer lists.
    assert second.api_calls == sum(len(plan.missing) for plan in second.plans)
    active = {h["hrNo"] for h in simulator_env.world.horse_items(1)}
    retired = {n for n in second.plans[0].missing if n not in active and int(n) not in active}
    assert retired == set(second.plans[0].missing)


def test_details_older_than_the_cache_age_are_fetched_again(simulator_env):
    day = next(d for d, m in simulator_env.world.race_days("20250501", "20250531") if m == 3)
    engine = get_engine()
    races = races_of(simulator_env, day, 3)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    with KraClient() as client:
        enrich_races(engine, client, races, max_age=WEEK, now=long_ago)
        again = enrich_races(engine, client, races, max_age=WEEK)
    assert [plan.use_listing for plan in again.plans] == [True, True, True]
    assert again.api_calls > 0


# -- horses that no longer race ----------------------------------------------------------------

TODAY = "20261122"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SEOUL = 1


@pytest.fixture
def start_world(
    start_kra_simulator: Callable[..., SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., SimulatorServer]:
    """A simulator on a fixed `today`, with the pipeline's KRA settings pointing at it."""

    def start(today: str = TODAY, **config: Any) -> SimulatorServer:
        server = start_kra_simulator(today=today, **config)
        monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
        monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
        monkeypatch.setenv("KRA_RATE_LIMIT_PER_MINUTE", "100000")
        return server

    return start


def seoul_days(server: SimulatorServer, month: str) -> list[str]:
    return [d for d, m in server.world.race_days(f"{month}01", f"{month}28") if m == SEOUL]


def horse_numbers(items: Iterable[dict[str, Any]]) -> set[str]:
    return {str(item["hrNo"]).zfill(7) for item in items}


def retired_of(server: SimulatorServer, race_date: str) -> list[str]:
    """Horses of that Seoul race day that today's active registry no longer lists."""
    field = horse_numbers(server.world.race_day_items(SEOUL, race_date))
    return sorted(field - horse_numbers(server.world.horse_items(SEOUL)))


def races_with(server: SimulatorServer, race_date: str, horses: Iterable[str]) -> list[Race]:
    keep = set(horses)
    items = server.world.race_day_items(SEOUL, race_date)
    return group_races(e for e in map(RaceEntrant.from_item, items) if e.horse_no in keep)


def enrich(races: list[Race], now: datetime = NOW):
    with KraClient() as client:
        return enrich_races(get_engine(), client, races, max_age=WEEK, now=now)


def full_listing_pages(server: SimulatorServer) -> int:
    return math.ceil(len(server.world.horse_items(SEOUL, include_retired=True)) / PAGE)


def test_a_recent_day_costs_one_active_listing_per_kind(start_world):
    server = start_world()
    day = seoul_days(server, "202610")[0]
    outcome = enrich(races_of(server, day, SEOUL))
    assert outcome.missing_detail_count == 0
    active_pages = math.ceil(len(server.world.horse_items(SEOUL)) / PAGE)
    assert server.stats.calls == {"API8_2": active_pages, "API12_1": 1, "API19_1": 1}


def test_an_old_race_day_s_retired_horses_are_enriched_from_one_listing(start_world):
    server = start_world()
    day = seoul_days(server, "202410")[0]
    assert len(retired_of(server, day)) > DEFAULT_FULL_LISTING_COST
    outcome = enrich(races_of(server, day, SEOUL))
    assert outcome.missing_detail_count == 0
    assert {row.horse_no for row in outcome.rows if row.horse_starts_total is not None} >= set(
        retired_of(server, day)
    )
    # The listing with retired horses holds the active ones too: no other horse call.
    assert server.stats.calls == {"API8_2": full_listing_pages(server), "API12_1": 1, "API19_1": 1}
    assert outcome.plans[0].how == "the listing with retired horses"


def test_old_race_days_of_a_meet_take_the_retired_listing_once_and_look_up_nothing(start_world):
    server = start_world()
    days = seoul_days(server, "202410")[:4]
    first = enrich(races_of(server, days[0], SEOUL))
    after_first = server.stats.calls
    later = [enrich(races_of(server, day, SEOUL)) for day in days[1:]]
    assert all(o.missing_detail_count == 0 for o in [first, *later])
    assert [o.api_calls for o in later] == [0, 0, 0]
    assert server.stats.calls == after_first


def test_look_ups_are_counted_across_runs_until_the_listing_is_cheaper(start_world):
    # A month before `today` in a new year: last year's oldest horses have just retired, and
    # the race day is too recent to expect retirement, so they are looked up one by one first.
    server = start_world(today="20260110")
    now = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    day = seoul_days(server, "202512")[0]
    retired = retired_of(server, day)
    active = sorted(horse_numbers(server.world.race_day_items(SEOUL, day)) - set(retired))
    price = DEFAULT_FULL_LISTING_COST
    few = price // 2  # two batches of `few` stay within the price, one more horse passes it
    batches = [retired[:few], retired[few : 2 * few], retired[2 * few : 2 * few + 1]]
    assert len(retired) > 2 * few + 1

    hows: list[str] = []

    def horse_calls(horses: list[str]) -> int:
        before = server.stats.calls["API8_2"]
        outcome = enrich(races_with(server, day, horses), now)
        assert outcome.missing_detail_count == 0
        hows.append(outcome.plans[0].how)
        return server.stats.calls["API8_2"] - before

    active_pages = math.ceil(len(server.world.horse_items(SEOUL)) / PAGE)
    assert horse_calls(active[:30]) == active_pages
    assert horse_calls(batches[0]) == few
    assert horse_calls(batches[1]) == few  # spent + these = the price: still cheaper by id
    assert horse_calls(batches[2]) == full_listing_pages(server)  # one more passes it
    assert horse_calls(retired[2 * few + 1 :]) == 0  # all in the listing taken
    # The first run took the active listing, the fourth the one with retired horses after it.
    assert hows[:4] == ["the active listing", "per-id look-ups", "per-id look-ups",
                        "the listing with retired horses"]  # fmt: skip


def test_look_ups_older_than_the_cache_age_no_longer_count(start_world):
    server = start_world(today="20260110")
    now = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    day = seoul_days(server, "202512")[0]
    retired = retired_of(server, day)
    price = DEFAULT_FULL_LISTING_COST
    assert len(retired) > price

    def look_up(horse: str, at: datetime) -> None:
        assert enrich(races_with(server, day, [horse]), at).missing_detail_count == 0

    for horse in retired[:price]:
        look_up(horse, now)
    before = server.stats.calls["API8_2"]
    look_up(retired[price], now + WEEK + timedelta(hours=1))
    assert server.stats.calls["API8_2"] - before == 1  # the old rent has lapsed


def test_nothing_is_lost_if_kra_ignores_act_gubun(start_world):
    server = start_world(ignored_params={"act_gubun"})
    days = seoul_days(server, "202410")[:3]
    outcomes = [enrich(races_of(server, day, SEOUL)) for day in days]
    assert all(o.missing_detail_count == 0 for o in outcomes)
    # The "retired-inclusive" listing came back with active horses only: each retired horse
    # is then looked up once, and the listing is not repeated.
    retired = {horse for day in days for horse in retired_of(server, day)}
    active_pages = math.ceil(len(server.world.horse_items(SEOUL)) / PAGE)
    assert server.stats.calls["API8_2"] == active_pages + len(retired)


def test_ids_a_concurrent_run_s_fresh_listing_stored_are_not_looked_up_again(start_world):
    # Another run listed Seoul's trainers and stored them after this run read its cache: this
    # run still counts them missing, but the fresh listing sends it back to the cache first.
    server = start_world()
    day = seoul_days(server, "202610")[0]
    enrich(races_of(server, day, SEOUL))  # the other run: takes the listings, stores the rows
    trainers = next(kind for kind in REFERENCE_KINDS if kind.name == "trainer")
    missing = {e.trainer_no for race in races_of(server, day, SEOUL) for e in race.entrants}
    missing.discard(None)
    calls_before = server.stats.total_calls
    with KraClient() as client:
        fetch = _KindFetch(get_engine(), client, trainers, SEOUL, NOW, NOW - WEEK)
        plan = _fetch_kind(fetch, set(missing), old_day=False)
    assert server.stats.total_calls == calls_before
    assert plan.missing == () and set(fetch.found) == missing
