"""`kra backfill --market`: the market history of the held race days, by meet × month.

Prints the estimate of calls per API first (kra_api/services/market_estimate.py) and refuses,
naming the API, when one exceeds what is left of its daily quota today, unless --spread: then
the runs the quota stops resume by themselves after 00:00 KST (the sensor
resume_market_history_after_daily_quota).
"""

from __future__ import annotations

import click

from kra_pipeline.contract import MEET_CODES, MEET_HELP, JobType, job_type_tags


def _meets(meets: str, meet: int | None) -> list[int]:
    if meet is not None:
        if meet not in MEET_CODES:
            raise click.BadParameter(f"give one of {MEET_HELP}, e.g. --meet 1", param_hint="--meet")
        return [meet]
    from kra_cli.backfill import _meets as comma_meets

    return comma_meets(meets)


def market_backfill(
    date_from: str | None,
    date_to: str | None,
    meets: str,
    meet: int | None,
    spread: bool,
    no_wait: bool,
    dry_run: bool,
) -> None:
    """Plan, print the estimate, check the quota, launch (see the module docstring)."""
    from pydantic import ValidationError

    from kra_api.gateway import DagsterGateway, GatewayUnavailable, LaunchRejected
    from kra_api.schemas import BackfillRequest
    from kra_api.services.market_backfill import (
        MarketRangeError,
        nothing_held,
        plan_market_backfill,
    )
    from kra_api.settings import ApiSettings
    from kra_pipeline.store.db import get_engine

    try:
        request = BackfillRequest(
            date_from=date_from,
            date_to=date_to,
            meets=_meets(meets, meet),
            market=True,
            spread=spread,
        )
        plan = plan_market_backfill(get_engine(), request)
    except ValidationError as error:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise click.ClickException(reasons) from None
    except MarketRangeError as error:
        raise click.ClickException(str(error)) from None
    if not plan.meet_months:
        if dry_run:  # an estimate of nothing: say why, it is not an error
            click.echo(f"Estimate: nothing to fetch: {nothing_held(plan)}")
            return
        raise click.ClickException(nothing_held(plan))
    estimate = plan.estimate
    click.echo(f"Market {plan.date_from}..{plan.date_to}, meets {','.join(map(str, plan.meets))}")
    click.echo(f"Estimate: {estimate.summary()}")
    for api, calls in sorted(estimate.calls.items()):
        click.echo(
            f"  {api:9s} {calls:5d} calls ({estimate.extra_pages[api]} extra pages); "
            f"{estimate.left_today[api]} of {estimate.daily_quota[api]} left today"
        )
    refusal = estimate.quota_refusal()
    if dry_run:
        if refusal:
            click.echo(f"Launching needs --spread: {refusal}")
        return
    if refusal and not spread:
        raise click.ClickException(refusal)
    if refusal:
        click.echo("Spread over the daily quota: the runs it stops resume after 00:00 KST.")
    gateway = DagsterGateway(ApiSettings().dagster_webserver_url)
    try:
        backfill_id = gateway.launch_market_backfill(
            list(plan.meet_months), job_type_tags(JobType.BACKFILL)
        )
    except (GatewayUnavailable, LaunchRejected) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"market backfill {backfill_id} launched: {estimate.partitions} meet-months")
    if not no_wait:
        click.echo("Follow it in the UI (Overview > Backfills) or with /api/v2/jobs/<id>.")
