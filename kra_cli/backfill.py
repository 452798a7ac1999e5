"""`kra backfill`: collect a range of race days as one Dagster backfill, with a progress bar.

Resumable: partitions whose collected race day is already materialized are left out (unless
`--redo`), so running the same command again after a kill or a spent daily quota launches only
what is missing. Needs the stack (`kra up`): launches go through the webserver like the UI's.
"""

from __future__ import annotations

import time

import click

from kra_api.schemas import check_race_date
from kra_pipeline.contract import (
    COLLECTED_ASSET,
    MEET_CODES,
    MEET_HELP,
    JobType,
    job_type_tags,
)

POLL_SECONDS = 2.0


def _meets(text: str) -> list[int]:
    try:
        meets = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        meets = []
    if not meets or any(m not in MEET_CODES for m in meets):
        raise click.BadParameter(f"give meets as a comma list of {MEET_HELP}, e.g. 1,3")
    return meets


def _date(_: click.Context, __: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_race_date(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("backfill")
@click.option("--from", "date_from", callback=_date, help="first day, YYYYMMDD")
@click.option("--to", "date_to", callback=_date, help="last day, YYYYMMDD")
@click.option("--meets", default="1,2,3", show_default=True, help=MEET_HELP)
@click.option(
    "--market",
    is_flag=True,
    help="The market history (pool grids, sales) of the held race days by meet x month; "
    "--from/--to default to 20150101 and today.",
)
@click.option("--meet", type=int, help="--market: one meet only (" + MEET_HELP + ").")
@click.option(
    "--spread",
    is_flag=True,
    help="--market: launch even past what is left of today's quota of an API; the runs the "
    "quota stops resume after 00:00 KST.",
)
@click.option("--redo", is_flag=True, help="Also partitions already collected.")
@click.option("--no-wait", is_flag=True, help="Launch and return; follow it in the UI.")
@click.option("--dry-run", is_flag=True, help="Print the estimate only; launch nothing.")
@click.option(
    "--yes", is_flag=True, help="Launch even past API_BACKFILL_CONFIRM_PARTITIONS partitions."
)
def backfill_command(
    date_from: str | None,
    date_to: str | None,
    meets: str,
    market: bool,
    meet: int | None,
    spread: bool,
    redo: bool,
    no_wait: bool,
    dry_run: bool,
    yes: bool,
) -> None:
    """Collect every date x meet from --from to --to (race days and empty days alike), saying
    first what it costs in KRA calls and days of the daily quota. With --market, the market
    history of the race days the store holds instead (see docs/MARKET_SOURCES.md)."""
    if market:
        from kra_cli.market_backfill import market_backfill

        market_backfill(date_from, date_to, meets, meet, spread, no_wait, dry_run)
        return
    if meet is not None or spread:
        raise click.UsageError("--meet and --spread go with --market; use --meets for race days")
    if date_from is None or date_to is None:
        raise click.UsageError(
            "give --from and --to (YYYYMMDD) for race days; only --market defaults them "
            "(20150101 to today)"
        )
    from dagster import AssetKey
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from kra_api.gateway import DagsterGateway, GatewayUnavailable, LaunchRejected
    from kra_api.schemas import BackfillRequest
    from kra_api.services.backfill_costs import estimate_backfill
    from kra_api.services.launcher import backfill_partition_keys
    from kra_api.settings import ApiSettings
    from kra_pipeline.contract import InvalidRaceDay
    from kra_pipeline.store.db import get_engine

    try:
        request = BackfillRequest(date_from=date_from, date_to=date_to, meets=_meets(meets))
        keys = backfill_partition_keys(request)
    except (ValueError, InvalidRaceDay) as error:
        raise click.ClickException(str(error)) from None
    settings = ApiSettings()
    gateway = DagsterGateway(settings.dagster_webserver_url)
    done = (
        set() if redo else gateway.instance.get_materialized_partitions(AssetKey(COLLECTED_ASSET))
    )
    todo = [key for key in keys if key not in done]
    click.echo(f"{len(keys)} partitions in the range, {len(keys) - len(todo)} already collected")
    if not todo:
        return
    estimate = estimate_backfill(get_engine(), todo)
    click.echo(f"Estimate: {estimate.summary()}")
    if dry_run:
        return
    limit = settings.backfill_confirm_partitions
    if len(todo) > limit and not yes:
        raise click.ClickException(
            f"{len(todo)} partitions is more than API_BACKFILL_CONFIRM_PARTITIONS={limit}: add "
            "--yes to launch it, or give a shorter range"
        )
    try:
        backfill_id = gateway.launch_backfill(todo, job_type_tags(JobType.BACKFILL))
    except (GatewayUnavailable, LaunchRejected) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backfill {backfill_id} launched; Ctrl-C stops watching, not the backfill")
    if no_wait:
        return
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("race days", total=len(todo))
        while True:
            state = gateway.backfill(backfill_id) or {}
            progress.update(task, completed=state.get("partitions_finished", 0))
            if state.get("completed_at") or state.get("status") in {"FAILED", "CANCELED"}:
                break
            time.sleep(POLL_SECONDS)
    click.echo(f"backfill {backfill_id}: {state.get('status')}")
