"""Enrichment picks the cheaper path and never repeats a fresh whole-meet listing."""

from datetime import UTC, datetime, timedelta

from kra_pipeline.enrichment import enrich_races, plan_fetch
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.models import RaceEntrant, group_races
from kra_pipeline.kra.simulator import SimulatorServer
from kra_pipeline.store.db import get_engine

WEEK = timedelta(days=7)


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
