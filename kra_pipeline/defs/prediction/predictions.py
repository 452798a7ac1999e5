"""`race_predictions`: each runner's win probability and rank for one race day, from a named
card (`contract.CardKind`): the evening sensor predicts the entry sheet, the morning schedule the
race day's card; `final` is there for analysis.

Made by the newest model, and only by one trained on days before this one: a model that saw the
day's results would predict them. A race's pre-race prediction is kept once its results exist
(a prediction made after them is stored flagged, never in its place).
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from kra_pipeline import contract as c
from kra_pipeline.defs.prediction.model import race_model
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions, split_race_day_key
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.prediction import artefact
from kra_pipeline.prediction.cards import CARD_AT, default_card, serving_card
from kra_pipeline.prediction.model import predict
from kra_pipeline.store.predictions import store_predictions

_PREVIEW = ["race_no", "gate_no", "horse_no", "win_probability", "predicted_rank"]


class PredictionConfig(Config):
    card: str = Field(
        default="",
        pattern="^(" + "|".join(c.CARD_KINDS) + ")?$",
        description=(
            f"The card to predict from ({', '.join(c.CARD_KINDS)}); empty: the entry sheet "
            "for a day ahead, the morning card from the race day on."
        ),
    )


@asset(
    name=names.PREDICTIONS_ASSET,
    partitions_def=race_day_partitions,
    deps=[race_model, AssetKey(c.COLLECTED_ASSET), AssetKey(names.ENTRY_SHEET_ASSET)],
    group_name=Group.PREDICTION,
    kinds={"scikit-learn"},
    description=(
        "Win probability and rank of every runner of the day from the newest race model, made "
        "from a named card; a race's pre-race prediction is kept once its results exist."
    ),
)
def race_predictions(
    context: AssetExecutionContext, config: PredictionConfig, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    kind = config.card or default_card(race_date, c.kst_today().strftime(c.DATE_FORMAT))
    model = artefact.served_card()
    if model is None:
        raise Failure("no race model yet: materialize race_model first", allow_retries=False)
    try:
        artefact.check_predates(model, race_date)
    except artefact.ModelSawTheDay as refusal:
        raise Failure(str(refusal), allow_retries=False) from refusal
    with race_store.writable() as engine:
        day = serving_card(engine, race_date, meet, kind)
        if day.empty:
            raise Failure(
                f"no {kind} card of {race_date} meet {meet} in the race store: fetch the entry "
                "sheet (sheet) or collect the race day (morning, final) first",
                allow_retries=False,
            )
        predicted = predict(artefact.load(model), day)
        stored = store_predictions(
            engine,
            race_date,
            meet,
            predicted,
            card=kind,
            card_at=day.attrs[CARD_AT],
            model_version=model.version,
        )
    preview = predicted[predicted["predicted_rank"] <= 3][_PREVIEW]
    return MaterializeResult(
        metadata={
            "card": kind,
            "card_at": str(day.attrs[CARD_AT]),
            "made_at": stored["made_at"].isoformat(),
            "model_version": model.version,
            "stored_races": MetadataValue.json(stored["stored_races"]),
            "kept_races": MetadataValue.json(stored["kept_races"]),
            "after_results_races": MetadataValue.json(stored["after_results_races"]),
            names.ENTRY_COUNT: len(predicted),
            names.PREVIEW: MetadataValue.md(
                preview.round(4).to_markdown(index=False) if len(preview) else "-"
            ),
        }
    )
