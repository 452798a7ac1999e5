"""Scratches with reasons against the simulator, and the check that compares them to the card."""

from typing import Any

from dagster import instance_for_test, materialize

from kra_pipeline.defs.race_days import collected_race_day, raw_race_day
from kra_pipeline.defs.scratches import scratch_assets
from kra_pipeline.defs.scratches.assets import check_scratches_agree
from kra_pipeline.defs.shared.resources import default_resources
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.scratches import ScratchedEntrant, scratches_with_card
from kra_simulator import SIMULATOR_API_KEY

TODAY = "20250620"


def test_scratches_carry_reasons_and_agree_with_the_card(start_kra_simulator, monkeypatch):
    server = start_kra_simulator(today=TODAY)
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    world = server.world
    race_date, meet = next(
        (d, m) for d, m in world.race_days("20250601", "20250619") if world.scratch_items(m, d)
    )
    with instance_for_test() as instance:
        result = materialize(
            [raw_race_day, collected_race_day, *scratch_assets],
            partition_key=f"{race_date}|{meet}",
            instance=instance,
            resources=default_resources(),
        )
    assert result.success
    rows = scratches_with_card(get_engine(), race_date, meet)
    expected = {(i["rcNo"], i["chulNo"]): i["reason"] for i in world.scratch_items(meet, race_date)}
    assert {(r.race_no, r.gate_no): r.reason for r in rows} == expected
    assert all(r.listed and r.scratched_on_card for r in rows)
    checks = [
        check
        for check in result.get_asset_check_evaluations()
        if check.check_name == "scratches_agree_with_card"
    ]
    assert [check.passed for check in checks] == [True]


def test_the_check_names_each_disagreement():
    def row(gate: int, **flags: Any) -> ScratchedEntrant:
        base = {"listed": True, "on_card": True, "scratched_on_card": True}
        return ScratchedEntrant(1, gate, "0000001", "부상", **{**base, **flags})

    result = check_scratches_agree(
        [
            row(1),
            row(2, listed=False),
            row(3, on_card=False, scratched_on_card=False),
            row(4, scratched_on_card=False),
        ]
    )
    assert not result.passed
    problems = str(result.metadata["problems"].value)
    assert "gate 2: winOdds 0 on the card but not listed" in problems
    assert "gate 3: scratched by API9_1 but not on the card" in problems
    assert "gate 4: scratched by API9_1 but has odds on the card" in problems
    assert "gate 1" not in problems


def test_a_key_without_api9_1_loses_only_the_scratches(start_kra_simulator, monkeypatch):
    server = start_kra_simulator(today=TODAY, refused_apis={"API9_1"})
    monkeypatch.setenv("KRA_API_BASE_URL", server.base_url)
    monkeypatch.setenv("KRA_API_KEY", SIMULATOR_API_KEY)
    race_date, meet = server.world.race_days("20250601", "20250619")[0]
    with instance_for_test() as instance:
        result = materialize(
            [raw_race_day, collected_race_day, *scratch_assets],
            partition_key=f"{race_date}|{meet}",
            instance=instance,
            resources=default_resources(),
            raise_on_error=False,
        )
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert done == {"raw_race_day", "collected_race_day"}
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "race_day_scratches"
    assert "Apply for API9_1" in str(failure.event_specific_data.error.message)
