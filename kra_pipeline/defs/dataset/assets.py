"""`entrant_dataset`: the analysts' export (`kra export`) as an asset, so a schedule can keep a
Parquet copy of the whole history fresh without anyone at a terminal.

It reads only the race store, computes point-in-time form on the way (as `kra export` does)
and replaces the previous export in its folder.
"""

from datetime import datetime
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    Config,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    RunConfig,
    RunRequest,
    ScheduleEvaluationContext,
    asset,
    define_asset_job,
    schedule,
)
from pydantic import Field

from kra_pipeline import contract as c
from kra_pipeline.contract import (
    KST,
)
from kra_pipeline.dataset.export import SCHEMA_FILE, export_entrants
from kra_pipeline.defs.race_days.collected import collected_race_day
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.paths import kra_home

DATASET_ASSET = "entrant_dataset"
EXPORT_CRON = "0 6 * * 1"  # Mondays 06:00 KST, after the weekend's racing


class DatasetExportConfig(Config):
    out_dir: str | None = Field(None, description="Folder; default <KRA_HOME>/exports")
    date_from: str = Field(c.FIRST_RACE_DATE, pattern=c.RACE_DATE_PATTERN)
    date_to: str | None = Field(None, pattern=c.RACE_DATE_PATTERN, description="Default today")
    format: str = Field("parquet", pattern="^(parquet|csv)$", description="parquet or csv")


@asset(
    name=DATASET_ASSET,
    deps=[collected_race_day],
    group_name=Group.DATASET,
    kinds={"pandas", "parquet"},
    description=(
        "Every stored entrant with results, registry snapshots and point-in-time form, as "
        "Parquet by year and meet (or CSV by year), with a README of the columns beside it."
    ),
)
def entrant_dataset(
    context: AssetExecutionContext, config: DatasetExportConfig, race_store: RaceStoreResource
) -> MaterializeResult:
    out_dir = Path(config.out_dir) if config.out_dir else kra_home() / "exports"
    date_to = config.date_to or datetime.now(KST).strftime(c.DATE_FORMAT)
    if config.date_from > date_to:
        raise ValueError(f"date_from {config.date_from} is after date_to {date_to}: swap them")
    summary = export_entrants(
        out_dir,
        config.date_from,
        date_to,
        config.format,  # type: ignore[arg-type] - the pattern admits only the two formats
        engine=race_store.engine(),
        progress=lambda year, rows: context.log.info(f"{year}: {rows} entrants written"),
    )
    return MaterializeResult(
        metadata={
            "rows": summary.rows,
            "years": ", ".join(summary.years) or "no racing",
            "date_range": f"{config.date_from}..{date_to}",
            "format": config.format,
            "out_dir": MetadataValue.path(str(summary.out_dir)),
            "schema": MetadataValue.path(str(summary.out_dir / SCHEMA_FILE)),
        }
    )


export_dataset = define_asset_job(
    "export_dataset",
    selection=[DATASET_ASSET],
    description="Write the entrant dataset (Parquet, whole history) under <KRA_HOME>/exports.",
)


@schedule(
    job=export_dataset,
    cron_schedule=EXPORT_CRON,
    execution_timezone=c.TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every Monday 06:00 KST, refresh the Parquet export of the whole history.",
)
def weekly_dataset_export(context: ScheduleEvaluationContext) -> RunRequest:
    day = context.scheduled_execution_time.astimezone(KST).strftime(c.DATE_FORMAT)
    return RunRequest(
        run_key=f"dataset:{day}",
        run_config=RunConfig(ops={DATASET_ASSET: DatasetExportConfig(date_to=day)}),
    )
