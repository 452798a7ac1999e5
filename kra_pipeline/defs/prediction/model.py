"""`race_model`: trained on the store's races before a cut-off, evaluated walk-forward."""

from datetime import datetime, timedelta

import pandas as pd
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from kra_pipeline import contract as c
from kra_pipeline.dataset import entrants
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.prediction import artefact
from kra_pipeline.prediction.evaluation import calibration, race_scores, summary, walk_forward
from kra_pipeline.prediction.model import NotEnoughHistory, train


class RaceModelConfig(Config):
    cutoff: str = Field(
        default="",
        pattern=r"^([0-9]{8})?$",
        description="Train on race days before this date (YYYYMMDD); empty: today in Seoul.",
    )
    evaluation_weeks: int = Field(
        default=8, ge=1, le=104, description="Weeks before the cut-off scored walk-forward."
    )


def _cutoff(config: RaceModelConfig) -> str:
    return config.cutoff or c.kst_today().strftime(c.DATE_FORMAT)


def _table(frame: pd.DataFrame) -> MetadataValue:
    return MetadataValue.md(frame.round(4).to_markdown(index=False) if len(frame) else "-")


def _calibration_plot(table: pd.DataFrame) -> MetadataValue:
    """Predicted against observed, one text bar each (the UI renders markdown, not images)."""
    lines = ["| predicted | observed | runners | |", "|---|---|---|---|"]
    for row in table.itertuples():
        bar = "█" * round(40 * row.win_rate) + "░" * max(
            0, round(40 * row.mean_predicted) - round(40 * row.win_rate)
        )
        lines.append(f"| {row.mean_predicted:.3f} | {row.win_rate:.3f} | {row.runners} | `{bar}` |")
    return MetadataValue.md("\n".join(lines))


@asset(
    name=names.MODEL_ASSET,
    group_name=Group.PREDICTION,
    kinds={"scikit-learn"},
    description=(
        "Logistic regression over point-in-time form and the pre-race card (no odds), trained "
        "on race days before the cut-off and scored walk-forward week by week."
    ),
)
def race_model(
    context: AssetExecutionContext, config: RaceModelConfig, race_store: RaceStoreResource
) -> MaterializeResult:
    cutoff = _cutoff(config)
    last_day = (datetime.strptime(cutoff, c.DATE_FORMAT) - timedelta(days=1)).strftime(
        c.DATE_FORMAT
    )
    frame = entrants(c.FIRST_RACE_DATE, last_day, form=True, engine=race_store.engine())
    try:
        model = train(frame)
    except NotEnoughHistory as error:
        raise Failure(description=str(error), allow_retries=False) from error
    predicted, folds = walk_forward(frame, pd.Timestamp(cutoff), config.evaluation_weeks)
    evaluation = summary(race_scores(predicted))
    card = artefact.save(model, evaluation.round(6).to_dict("records"))
    context.log.info(f"race model {card.version} saved to {card.path}")
    return MaterializeResult(
        metadata={
            "version": card.version,
            "path": MetadataValue.path(card.path),
            "trained_from": model.trained_from,
            "trained_until": model.trained_until,
            "training_races": model.training_races,
            "data_hash": model.data_hash,
            "features": MetadataValue.json(list(model.features)),
            "folds": len(folds),
            "evaluation": _table(evaluation),
            "calibration": _calibration_plot(calibration(predicted))
            if len(predicted)
            else MetadataValue.md("-"),
        }
    )
