"""`prediction_track_record`: the stored pre-race predictions scored against the results that
came later, shown per card kind and per week in the Dagster UI (the same figures as
`GET /api/v2/predict/track-record`)."""

from datetime import datetime

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from kra_pipeline import contract as c
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.prediction.track_record import (
    DEFAULT_WEEKS,
    default_range,
    track_record,
    weekly_table,
)


class TrackRecordConfig(Config):
    date_to: str = Field(
        default="", pattern=r"^([0-9]{8})?$", description="Last race date; empty: today (Seoul)."
    )
    weeks: int = Field(default=DEFAULT_WEEKS, ge=1, le=104, description="Weeks scored.")


def _md(frame: pd.DataFrame) -> MetadataValue:
    return MetadataValue.md(frame.round(4).to_markdown(index=False) if len(frame) else "-")


@asset(
    name=names.TRACK_RECORD_ASSET,
    deps=[AssetKey(names.PREDICTIONS_ASSET), AssetKey(c.COLLECTED_ASSET)],
    group_name=Group.PREDICTION,
    description=(
        "The live track record: predictions made before the races, scored against the results "
        "per card kind and week, beside uniform and the market on the same races."
    ),
)
def prediction_track_record(
    context: AssetExecutionContext, config: TrackRecordConfig, race_store: RaceStoreResource
) -> MaterializeResult:
    date_to = config.date_to or c.kst_today().strftime(c.DATE_FORMAT)
    date_from, _ = default_range(datetime.strptime(date_to, c.DATE_FORMAT).date(), config.weeks)
    record = track_record(race_store.engine(), date_from, date_to)
    overall, weeks = record["overall"], weekly_table(record["weeks"])
    headline = overall[overall["metric"].isin(["log_loss", "top1", "calibration_slope"])]
    races = overall[overall["predictor"] == "model"].groupby("card")["races"].max()
    return MaterializeResult(
        metadata={
            "date_from": date_from,
            "date_to": date_to,
            "races": MetadataValue.json({str(k): int(v) for k, v in races.items()}),
            "per_week": _md(weeks),
            "overall": _md(headline),
        }
    )
