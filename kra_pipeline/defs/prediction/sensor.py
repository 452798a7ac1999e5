"""Predict the days ahead as soon as their cards are in: a new entry sheet of today or the next
days asks for that day's predictions from the `sheet` card, once per sheet, while a race model
is served."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from dagster import (
    AssetKey,
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from kra_pipeline import contract as c
from kra_pipeline.contract import (
    KST,
)
from kra_pipeline.defs.prediction.predictions import race_predictions
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.materializations import newest_materialization
from kra_pipeline.defs.shared.partitions import MEETS, race_day_key
from kra_pipeline.prediction import artefact


def card_run_config(kind: c.CardKind) -> dict:
    """The run config that makes `race_predictions` predict from the `kind` card."""
    return {"ops": {names.PREDICTIONS_ASSET: {"config": {"card": kind.value}}}}


def upcoming_prediction_requests(instance: DagsterInstance, today: datetime) -> list[RunRequest]:
    """A request per day ahead (today included) whose newest entry sheet listed entrants and is
    newer than the day's newest predictions."""
    requests = []
    for ahead in range(0, c.UPCOMING_DAYS + 1):
        race_date = (today + timedelta(days=ahead)).strftime(c.DATE_FORMAT)
        for meet in MEETS:
            partition = str(race_day_key(race_date, meet))
            sheet = newest_materialization(instance, names.ENTRY_SHEET_ASSET, partition)
            metadata = sheet.asset_materialization.metadata if sheet else {}
            if sheet is None or not getattr(metadata.get(names.ENTRY_COUNT), "value", 0):
                continue
            predicted = newest_materialization(instance, names.PREDICTIONS_ASSET, partition)
            if predicted is not None and predicted.storage_id > sheet.storage_id:
                continue
            requests.append(
                RunRequest(
                    run_key=f"predict:{partition}:{sheet.storage_id}",
                    partition_key=race_day_key(race_date, meet),
                    asset_selection=[AssetKey(names.PREDICTIONS_ASSET)],
                    run_config=card_run_config(c.CardKind.SHEET),
                    tags=c.job_type_tags(c.JobType.PREDICTION),
                )
            )
    return requests


@sensor(
    target=[race_predictions],
    minimum_interval_seconds=600,
    default_status=DefaultSensorStatus.STOPPED,
    description="Predict today and the days ahead once their entry sheets are fetched.",
)
def predict_upcoming_days(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    if artefact.served_card() is None:
        yield SkipReason(f"no race model served yet: materialize {names.MODEL_ASSET} first")
        return
    requests = upcoming_prediction_requests(context.instance, datetime.now(KST))
    yield from requests
    if not requests:
        yield SkipReason("no day ahead has an entry sheet newer than its predictions")
