"""The race-morning schedule asks for the morning card of each meet racing that day, only."""

from __future__ import annotations

from datetime import datetime

from dagster import AssetMaterialization, RunRequest, build_schedule_context, instance_for_test

from kra_pipeline import contract as c
from kra_pipeline.defs.prediction.morning import predict_race_morning
from kra_pipeline.defs.shared import names


def test_only_meets_with_an_entry_sheet_are_predicted_from_their_morning_card() -> None:
    morning = datetime(2025, 3, 8, 9, 30, tzinfo=c.KST)
    with instance_for_test() as instance:
        quiet = list(predict_race_morning(build_schedule_context(instance, morning)))
        assert [type(r).__name__ for r in quiet] == ["SkipReason"]
        instance.report_runless_asset_event(
            AssetMaterialization(names.ENTRY_SHEET_ASSET, partition="20250308|2",
                                 metadata={names.ENTRY_COUNT: 80})
        )  # fmt: skip
        asked = list(predict_race_morning(build_schedule_context(instance, morning)))
    assert len(asked) == 1 and isinstance(asked[0], RunRequest)
    assert asked[0].partition_key == "20250308|2"
    config = asked[0].run_config["ops"][names.PREDICTIONS_ASSET]["config"]
    assert config == {"card": c.CardKind.MORNING.value}
