"""race_model trains before its cut-off and saves a versioned artefact; race_predictions
predicts a later day, keeps what it predicted once results exist, and refuses hindsight.

The model is trained before the days from the cut-off on are collected (as it is in service): a
model trained with a cut-off before results already stored is a backtest, never served."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from dagster import AssetMaterialization, DagsterInstance, instance_for_test, materialize

from kra_pipeline import contract as c
from kra_pipeline.defs.prediction.model import race_model
from kra_pipeline.defs.prediction.predictions import race_predictions
from kra_pipeline.defs.prediction.sensor import upcoming_prediction_requests
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.kra.upcoming import parse_entry_sheet
from kra_pipeline.prediction.artefact import served_card
from kra_pipeline.store.db import dispose_engines, get_engine
from kra_pipeline.store.predictions import load_predictions
from kra_pipeline.store.upcoming import keep_first_seen
from kra_simulator.world import SimulatedWorld
from tests.form.history import LAST_DAY, MEET, RaceDays, copy_store, write_race_days

CUTOFF = "20250301"


@pytest.fixture
def store(history_file: Path, tmp_path: Path) -> str:
    """The history before CUTOFF: the race days from it on are collected after training."""
    url = copy_store(history_file, tmp_path / "races.sqlite")
    with get_engine(url).begin() as connection:
        connection.exec_driver_sql("delete from races where race_date >= ?", (CUTOFF,))
    yield url
    dispose_engines()


def _collect_after_cutoff(url: str, race_days: RaceDays) -> None:
    later = {k: v for k, v in race_days.items() if CUTOFF <= k[0] <= LAST_DAY}
    write_race_days(get_engine(url), later)


def _predict(instance: DagsterInstance, url: str, day: str, card: str = ""):
    return materialize(
        [race_predictions],
        partition_key=f"{day}|{MEET}",
        instance=instance,
        resources={"race_store": RaceStoreResource(database_url=url)},
        run_config={"ops": {names.PREDICTIONS_ASSET: {"config": {"card": card}}}},
        raise_on_error=False,
    )


def _metadata(result) -> dict:
    event = result.get_asset_materialization_events()[0]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_train_then_predict_a_later_day_and_keep_it(store: str, race_days: RaceDays) -> None:
    resources = {"race_store": RaceStoreResource(database_url=store)}
    config = {"ops": {"race_model": {"config": {"cutoff": CUTOFF, "evaluation_weeks": 2}}}}
    with instance_for_test() as instance:
        trained = materialize(
            [race_model], instance=instance, resources=resources, run_config=config
        )
        assert trained.success
        _collect_after_cutoff(store, race_days)
        card = served_card()
        assert card is not None and card.trained_until < CUTOFF
        assert Path(card.path, "model.joblib").exists()
        metadata = _metadata(trained)
        assert metadata["version"] == card.version and metadata["data_hash"] == card.data_hash
        assert "uniform" in metadata["evaluation"] and "market" in metadata["evaluation"]
        assert metadata["served"] is True and metadata["backtest"] is False
        png = metadata["calibration"].split("data:image/png;base64,")[1].split(")")[0]
        assert base64.b64decode(png).startswith(b"\x89PNG\r\n\x1a\n")
        assert "log_loss_model" in metadata["per_fold"]

        past = {"ops": {"race_model": {"config": {"cutoff": "20250215", "evaluation_weeks": 1}}}}
        backtest = materialize([race_model], instance=instance, resources=resources,
                               run_config=past)  # fmt: skip
        assert _metadata(backtest)["backtest"] is True and _metadata(backtest)["served"] is False
        assert served_card() == card  # a backtest never replaces the served model

        days = sorted({d for d, in get_engine(store).connect().exec_driver_sql(
            "select distinct race_date from races where race_date >= ? order by race_date",
            (CUTOFF,),
        )})  # fmt: skip
        day = days[0]
        first = _predict(instance, store, day)
        assert first.success
        stored = load_predictions(get_engine(store), day, MEET)
        assert len(stored) and set(stored["model_version"]) == {card.version}
        sums = stored.groupby("race_no")["win_probability"].sum()
        assert sums.to_numpy() == pytest.approx(1.0)

        again = _predict(instance, store, day)  # the day has results now: nothing is redone
        races = sorted(set(stored["race_no"]))
        assert _metadata(again)["kept_races"] == races and _metadata(again)["stored_races"] == []
        assert load_predictions(get_engine(store), day, MEET).equals(stored)
        assert stored["results_existed"].all()  # predicted after the results: never pre-race

        hindsight = _predict(instance, store, card.trained_until)
        assert not hindsight.success
        failure = next(e for e in hindsight.all_events if e.event_type_value == "STEP_FAILURE")
        assert "would know the results" in failure.step_failure_data.error.message


def test_a_day_ahead_is_predicted_from_its_entry_sheet_and_kept_after_its_results(
    store: str, race_days: RaceDays
) -> None:
    """The day after the stored history has only its first-seen entry sheet: it is predicted
    from that card with form from the days before, and the results change nothing."""
    day = min(d for d, m in race_days if d > LAST_DAY and m == MEET)
    engine = get_engine(store)
    sheet = parse_entry_sheet(SimulatedWorld(today=day).entry_sheet_items(MEET, day))
    keep_first_seen(engine, day, MEET, sheet)
    resources = {"race_store": RaceStoreResource(database_url=store)}
    config = {"ops": {"race_model": {"config": {"cutoff": CUTOFF, "evaluation_weeks": 1}}}}
    with instance_for_test() as instance:
        sheet_key = f"{day}|{MEET}"
        instance.report_runless_asset_event(
            AssetMaterialization(names.ENTRY_SHEET_ASSET, partition=sheet_key,
                                 metadata={names.ENTRY_COUNT: len(sheet)})
        )  # fmt: skip
        as_of = datetime.strptime(day, c.DATE_FORMAT) - timedelta(days=2)
        assert upcoming_prediction_requests(instance, as_of)  # a sheet, no predictions yet
        assert materialize([race_model], instance=instance, resources=resources,
                           run_config=config).success  # fmt: skip
        ahead = _predict(instance, store, day, c.CardKind.SHEET.value)
        assert ahead.success
        assert _metadata(ahead)["card"] == c.CardKind.SHEET
        stored = load_predictions(engine, day, MEET)
        assert sorted(zip(stored["race_no"], stored["gate_no"], strict=True)) == sorted(
            (row.race_no, row.gate_no) for row in sheet
        )
        assert stored.groupby("race_no")["win_probability"].sum().to_numpy() == pytest.approx(1)
        assert upcoming_prediction_requests(instance, as_of) == []  # predicted since the sheet

        write_race_days(engine, {(day, MEET): race_days[(day, MEET)]})  # the day is run
        after = _predict(instance, store, day, c.CardKind.SHEET.value)
        assert _metadata(after)["kept_races"] == sorted(set(stored["race_no"]))
        assert load_predictions(engine, day, MEET).equals(stored)
        assert not stored["results_existed"].any()  # made from the sheet, before the results
