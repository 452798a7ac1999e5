"""`race_predictions`: each runner's win probability and rank for one race day.

Made by the newest model, and only by one trained on days before this one: a model that saw the
day's results would predict them. A day that has results keeps the predictions made before; a
day ahead without a collected card is predicted from its first-seen entry sheet.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from kra_pipeline import contract as c
from kra_pipeline.defs.prediction.model import race_model
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions, split_race_day_key
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.prediction import artefact
from kra_pipeline.prediction.cards import prediction_card
from kra_pipeline.prediction.model import predict
from kra_pipeline.store.predictions import load_predictions, replace_predictions

_PREVIEW = ["race_no", "gate_no", "horse_no", "win_probability", "predicted_rank"]


@asset(
    name=names.PREDICTIONS_ASSET,
    partitions_def=race_day_partitions,
    deps=[race_model, AssetKey(c.COLLECTED_ASSET), AssetKey(names.ENTRY_SHEET_ASSET)],
    group_name=Group.PREDICTION,
    kinds={"scikit-learn"},
    description=(
        "Win probability and rank of every runner of the day from the newest race model; "
        "kept once the day's results exist."
    ),
)
def race_predictions(
    context: AssetExecutionContext, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    card = artefact.latest_card()
    if card is None:
        raise Failure("no race model yet: materialize race_model first", allow_retries=False)
    try:
        artefact.check_predates(card, race_date)
    except artefact.ModelSawTheDay as refusal:
        raise Failure(str(refusal), allow_retries=False) from refusal
    with race_store.writable() as engine:
        day, source = prediction_card(engine, race_date, meet)
        stored = load_predictions(engine, race_date, meet)
        finished = bool(len(day)) and bool(day["is_finished"].any())
        if finished and len(stored):
            return MaterializeResult(
                metadata={
                    "kept": True,
                    "model_version": str(stored["model_version"].iloc[0]),
                    "predicted_at": str(stored["predicted_at"].iloc[0]),
                    names.ENTRY_COUNT: len(stored),
                }
            )
        predicted = predict(artefact.load(card), day)
        at = replace_predictions(engine, race_date, meet, predicted, card.version)
    preview = predicted[predicted["predicted_rank"] <= 3][_PREVIEW]
    return MaterializeResult(
        metadata={
            "kept": False,
            "model_version": card.version,
            "predicted_at": at.isoformat(),
            "after_results": finished,
            "card": source,
            names.ENTRY_COUNT: len(predicted),
            names.PREVIEW: MetadataValue.md(
                preview.round(4).to_markdown(index=False) if len(preview) else "-"
            ),
        }
    )
