"""The entrant_dataset asset writes the same export as `kra export`, and its weekly schedule
asks for the history up to the day it runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from dagster import build_schedule_context, instance_for_test, materialize

from kra_pipeline.contract import (
    KST,
)
from kra_pipeline.dataset import entrants
from kra_pipeline.dataset.export import COLUMNS, read_export
from kra_pipeline.defs.dataset.assets import DATASET_ASSET, entrant_dataset, weekly_dataset_export
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.store.db import dispose_engines, get_engine
from tests.form.history import MONTH, copy_store


def test_the_asset_exports_the_range_as_parquet_with_its_schema(
    history_file: Path, tmp_path: Path
) -> None:
    url = copy_store(history_file, tmp_path / "races.sqlite")
    out = tmp_path / "exports"
    config = {"out_dir": str(out), "date_from": MONTH[0], "date_to": MONTH[1]}
    with instance_for_test() as instance:
        result = materialize(
            [entrant_dataset],
            instance=instance,
            resources={"race_store": RaceStoreResource(database_url=url)},
            run_config={"ops": {DATASET_ASSET: {"config": config}}},
        )
    assert result.success
    expected = entrants(*MONTH, enrichment=True, form=True, market=True, engine=get_engine(url))
    dispose_engines()
    pd.testing.assert_frame_equal(read_export(out), expected)
    schema = (out / "README.md").read_text("utf-8")
    assert all(f"| `{name}` |" in schema for name, *_ in COLUMNS)
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["rows"].value == len(expected) > 0


def test_the_weekly_schedule_exports_up_to_the_day_it_runs() -> None:
    monday = datetime(2025, 6, 9, 6, 0, tzinfo=KST)
    request = weekly_dataset_export(build_schedule_context(scheduled_execution_time=monday))
    config = request.run_config["ops"][DATASET_ASSET]["config"]
    assert config["date_to"] == "20250609" and config["date_from"] == "20150101"
    assert request.run_key == "dataset:20250609"
