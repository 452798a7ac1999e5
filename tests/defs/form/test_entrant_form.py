"""The entrant_form asset stores, per race day, the form computed from the store's history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dagster import instance_for_test, materialize

from kra_pipeline.defs.form.assets import entrant_form
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.form.compute import OUTPUT_COLUMNS, compute_form, typed_form
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.form import history_query, read_history
from tests.form.history import MEET, RaceDays, copy_store

DAY = "20250316"


def test_a_race_day_partition_stores_the_point_in_time_form(
    history_file: Path, race_days: RaceDays, tmp_path: Path
) -> None:
    url = copy_store(history_file, tmp_path / "races.sqlite")
    race_date = max(d for d, m in race_days if d <= DAY and m == MEET)
    with instance_for_test() as instance:
        result = materialize(
            [entrant_form],
            partition_key=f"{race_date}|{MEET}",
            instance=instance,
            resources={"race_store": RaceStoreResource(database_url=url)},
        )
    assert result.success
    engine = get_engine(url)
    with engine.connect() as connection:  # the table as an analyst's SQL reads it
        stored = typed_form(
            pd.read_sql(
                f"SELECT {', '.join(OUTPUT_COLUMNS)} FROM entrant_form WHERE race_date = "
                f"'{race_date}' AND meet = {MEET} ORDER BY race_no, gate_no",
                connection,
            )
        )
    history = read_history(engine, history_query(race_date))
    expected = compute_form(history, history[history["race_date"] == race_date])
    dispose_engines()
    pd.testing.assert_frame_equal(stored, expected, check_exact=False)
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["entry_count"].value == len(expected) > 0
