"""`race_model`: trained on the store's races before a cut-off, evaluated walk-forward, saved in
the registry and served only if it beats the served model on the same weeks."""

from datetime import datetime, timedelta

import pandas as pd
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from kra_pipeline import contract as c
from kra_pipeline.dataset import entrants
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.prediction import artefact, plots, registry
from kra_pipeline.prediction.evaluation import Fold, race_scores, summary, walk_forward
from kra_pipeline.prediction.features import RACE_KEY
from kra_pipeline.prediction.model import NotEnoughHistory, train
from kra_pipeline.store.race_days import newest_finished_race_day


class RaceModelConfig(Config):
    cutoff: str = Field(
        default="",
        pattern=r"^([0-9]{8})?$",
        description="Train on race days before this date (YYYYMMDD); empty: today in Seoul. "
        "A cut-off before the newest finished race day in the store makes a backtest.",
    )
    evaluation_weeks: int = Field(
        default=26, ge=1, le=104, description="Weeks before the cut-off scored walk-forward."
    )
    backtest: bool = Field(
        default=False,
        description="Save the model as a backtest (listed, never served) whatever the cut-off.",
    )


def _cutoff(config: RaceModelConfig) -> str:
    return config.cutoff or c.kst_today().strftime(c.DATE_FORMAT)


def _table(frame: pd.DataFrame) -> MetadataValue:
    return MetadataValue.md(frame.round(4).to_markdown(index=False) if len(frame) else "-")


def _weekly(predicted: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Mean log-loss and top-1 per fold week and predictor."""
    weeks = predicted[[*RACE_KEY, "week_start"]].drop_duplicates(list(RACE_KEY))
    by_week = scores.merge(weeks, on=list(RACE_KEY)).groupby(["week_start", "predictor"])
    return by_week[["log_loss", "top1"]].mean().reset_index()


def _folds_table(folds: list[Fold], weekly: pd.DataFrame) -> pd.DataFrame:
    """One row per fold: what it was trained on, what it predicted, how each predictor did."""
    table = pd.DataFrame(
        [(f.week_start, f.trained_until, f.training_races, f.predicted_races) for f in folds],
        columns=["week_start", "trained_until", "training_races", "races"],
    )
    if table.empty:
        return table
    wide = weekly.pivot(index="week_start", columns="predictor", values="log_loss")
    wide.columns = [f"log_loss_{p}" for p in wide.columns]
    top1 = weekly[weekly["predictor"] == "model"].set_index("week_start")["top1"]
    table = table.join(wide, on="week_start").join(top1.rename("top1_model"), on="week_start")
    return table.assign(week_start=table["week_start"].dt.strftime("%Y-%m-%d"))


def _promotion(decision: registry.Decision) -> str:
    figures = ""
    if decision.candidate_log_loss is not None:
        figures = (
            f"\n\n| | log-loss |\n|---|---|\n| this model | {decision.candidate_log_loss:.4f} |"
            f"\n| served {decision.previous} | {decision.served_log_loss:.4f} |"
            f"\n\non {decision.common_races} races, weeks {', '.join(decision.common_weeks)}"
        )
    verdict = "**Served** (promoted)" if decision.promoted else "**Not served**"
    return f"{verdict}: {decision.reason}.{figures}"


def _pictures(predicted: pd.DataFrame, weekly: pd.DataFrame) -> dict[str, MetadataValue]:
    if predicted.empty:
        return {}
    calibration = plots.reliability_bins(predicted)
    return {
        "calibration": MetadataValue.md(
            plots.markdown_image(plots.calibration_png(calibration), "calibration")
            + "\n\n"
            + calibration.round(4).to_markdown(index=False)
        ),
        "weekly_log_loss": MetadataValue.md(
            plots.markdown_image(plots.weekly_png(weekly), "log-loss per week")
        ),
    }


@asset(
    name=names.MODEL_ASSET,
    group_name=Group.PREDICTION,
    kinds={"scipy"},
    description=(
        "A conditional logit (a softmax over each race's starters) on point-in-time form and the "
        "pre-race card (no odds), trained "
        "on race days before the cut-off, scored walk-forward week by week, kept in the model "
        "registry and served when it beats the served model on the same weeks."
    ),
)
def race_model(
    context: AssetExecutionContext, config: RaceModelConfig, race_store: RaceStoreResource
) -> MaterializeResult:
    cutoff = _cutoff(config)
    last_day = (datetime.strptime(cutoff, c.DATE_FORMAT) - timedelta(days=1)).strftime(
        c.DATE_FORMAT
    )
    engine = race_store.engine()
    newest = newest_finished_race_day(engine)
    backtest = config.backtest or (newest is not None and cutoff < newest)
    frame = entrants(c.FIRST_RACE_DATE, last_day, form=True, engine=engine)
    try:
        model = train(frame)
    except NotEnoughHistory as error:
        raise Failure(description=str(error), allow_retries=False) from error
    predicted, folds = walk_forward(frame, pd.Timestamp(cutoff), config.evaluation_weeks)
    scores = race_scores(predicted)
    evaluation = summary(scores)
    saved = registry.register(
        model,
        evaluation.round(6).to_dict("records"),
        registry.race_log_loss(predicted),
        backtest=backtest,
        cutoff=cutoff,
    )
    card, decision = saved.card, saved.decision
    context.log.info(
        f"race model {card.version} {'saved to' if saved.created else 'already in'} {card.path}; "
        f"{'served' if decision.promoted else 'not served'}: {decision.reason}"
    )
    weekly = _weekly(predicted, scores)
    log_loss = registry.mean_log_loss(card)
    return MaterializeResult(
        metadata={
            "version": card.version,
            "path": MetadataValue.path(card.path),
            "newly_saved": saved.created,
            "backtest": card.backtest,
            "served": artefact.served_version() == card.version,
            "promotion": MetadataValue.md(_promotion(decision)),
            "trained_from": card.trained_from,
            "trained_until": card.trained_until,
            "training_races": card.training_races,
            "data_hash": card.data_hash,
            "code_revision": card.code_revision,
            "features": MetadataValue.json(card.features),
            "folds": len(folds),
            "evaluation": _table(evaluation),
            "per_fold": _table(_folds_table(folds, weekly)),
            **_pictures(predicted, weekly),
            # A float plots over the materializations in the UI: the models' history at a glance.
            **({"walk_forward_log_loss": log_loss} if log_loss is not None else {}),
        }
    )
