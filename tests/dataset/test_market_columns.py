"""The frames carry each pool's turnover and winning dividends (API179_1, stored by month), and
never a day of KRA's test records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kra_pipeline.dataset import entrants, races
from kra_pipeline.dataset.export import COLUMNS, export_entrants, read_export
from kra_pipeline.kra.market.pool_integrity import TestRecord
from kra_pipeline.kra.market.pool_sales import parse_sales_rows
from kra_pipeline.store.db import get_engine
from kra_pipeline.store.market_months import (
    load_test_records,
    replace_sales_month,
    save_test_records,
)
from kra_simulator.sales import sales_items
from kra_simulator.world import SimulatedWorld
from tests.form.history import TODAY, simulated_race_days, write_race_days

SPAN = ("20250104", "20250112")
SEOUL = 1


def test_races_and_the_export_carry_turnover_and_dividends_and_skip_test_records(
    tmp_path: Path,
) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'races.sqlite'}")
    days = simulated_race_days(*SPAN, meet=SEOUL)
    write_race_days(engine, days)
    world = SimulatedWorld(today=TODAY)
    items = [item for day, meet in days for item in sales_items(world, meet, day)]
    sales = parse_sales_rows(items).rows
    replace_sales_month(engine, SEOUL, "202501", sales)
    # A day of grids without sales or results (as the month assets flag it): kept, not raced.
    test_day, kept_day = sorted(day for day, _ in days)[:2]
    save_test_records(engine, [TestRecord(test_day, SEOUL, 3, 40, "no sales and no results")])
    assert [r.race_date for r in load_test_records(engine)] == [test_day]

    frame = races(*SPAN, engine=engine)
    assert test_day not in set(frame["race_date"].dt.strftime("%Y%m%d"))
    assert kept_day in set(frame["race_date"].dt.strftime("%Y%m%d"))
    assert str(frame["turnover_win"].dtype) == "Int64"
    assert str(frame["dividend_tri"].dtype) == "Float64"
    by_race = {(s.race_date, s.race_no, s.pool): s for s in sales}
    for row in frame.itertuples():
        key = (row.race_date.strftime("%Y%m%d"), row.race_no)
        win, place = by_race[(*key, "WIN")], by_race[(*key, "PLC")]
        assert row.turnover_win == win.amount > 0
        assert row.dividend_win == win.winners[0].dividend
        assert row.paid_plc == " ".join(
            f"{w.legs[0]}:{w.dividend}" for w in place.winners
        )  # every paid place, in KRA's order
    assert entrants(test_day, test_day, engine=engine).empty

    out = tmp_path / "export"
    export_entrants(out, *SPAN, engine=engine)
    exported = read_export(out)
    assert test_day not in set(exported["race_date"].dt.strftime("%Y%m%d"))
    merged = exported.drop_duplicates(["race_date", "race_no"]).merge(
        frame[["race_date", "race_no", "turnover_tri", "dividend_exa"]],
        on=["race_date", "race_no"],
        suffixes=("", "_race"),
    )
    pd.testing.assert_series_equal(
        merged["turnover_tri"], merged["turnover_tri_race"], check_names=False
    )
    readme = (out / "README.md").read_text("utf-8")
    units = {name: unit for name, _, unit, _ in COLUMNS}
    assert units["turnover_win"] == "KRW" and units["dividend_win"] == "× stake"
    assert "| `dividend_win` | Float64 | × stake | win dividend per 1 KRW staked" in readme
    engine.dispose()
