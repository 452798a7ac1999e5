"""`kra demo`: `kra up`, then one collection through the REST API, reported as it goes."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import click
import httpx

from kra_api.settings import DEV_API_KEY, ApiSettings
from kra_cli.readiness import ready_settings
from kra_cli.stack import Stack, run_stack, with_stack_options
from kra_pipeline.contract import DATE_FORMAT


def recent_seoul_race_day(stack: Stack) -> str:
    """The latest finished Seoul race day: from the simulator's calendar, else last Sunday."""
    yesterday = date.today() - timedelta(days=1)
    if stack.simulator is not None:
        world = stack.simulator.world
        start = (yesterday - timedelta(days=21)).strftime(DATE_FORMAT)
        days = [
            d for d, meet in world.race_days(start, yesterday.strftime(DATE_FORMAT)) if meet == 1
        ]
        if days:
            return days[-1]
    return (yesterday - timedelta(days=(yesterday.weekday() + 1) % 7)).strftime(DATE_FORMAT)


def demo_collection(stack: Stack, timeout: float = 600.0) -> dict[str, Any]:
    """One collection through the REST API, reported as it goes; returns the final status."""
    settings = ApiSettings()
    if not settings.api_keys:
        raise click.ClickException(
            "the demo needs a key from VALID_API_KEYS (keys issued with `kra keys add` are "
            "stored hashed and cannot be read back): set VALID_API_KEYS for the demo"
        )
    api_key = settings.api_keys[0]
    headers = {"X-API-Key": api_key}
    race_date = recent_seoul_race_day(stack)
    # Generous: on a busy machine the first launch (GraphQL, a new run) can take a while.
    client = httpx.Client(base_url=stack.api_url, headers=headers, timeout=120)
    body = {"date": race_date, "meet": 1, "options": {"enrich": True}}
    accepted = client.post("/api/v2/collection/async", json=body)
    if accepted.status_code != 202:
        raise click.ClickException(f"the API refused the demo collection: {accepted.text}")
    job_id = accepted.json()["job_id"]
    click.echo(f"Collecting Seoul {race_date}: job {job_id}")
    click.echo(f"  watch it in the UI: {stack.dagster_url}/runs/{job_id}")
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/v2/jobs/{job_id}").json()
        if job.get("status") in ("completed", "failed", "cancelled"):
            break
        time.sleep(2)
    click.echo(f"Job {job_id}: {job.get('status')} ({job.get('progress')}%)")
    if job.get("error_message"):
        click.echo(f"  error: {job['error_message']}")
    status = client.get("/api/v2/collection/status", params={"date": race_date, "meet": 1}).json()
    click.echo(
        f"Race day {race_date} meet 1: {status.get('collected_races')}/{status.get('total_races')}"
        f" races collected, {status.get('enriched_races')} enriched ({status.get('status')})"
    )
    # The development key is public; a configured key is the user's secret and is not printed.
    shown_key = api_key if api_key == DEV_API_KEY else "<one of VALID_API_KEYS>"
    click.echo(f"  assets: {stack.dagster_url}/assets/collected_race_day")
    click.echo(
        f"  races:  curl -H 'X-API-Key: {shown_key}' "
        f"'{stack.api_url}/api/v2/races?date={race_date}&meet=1'"
    )
    from kra_pipeline.store.db import database_url, masked_url

    click.echo(f"  store:  {masked_url(database_url())}")
    return {"job": job, "status": status}


@click.command("demo")
@with_stack_options
@click.option("--exit-after", is_flag=True, help="Stop the stack after the demo collection.")
def demo_command(
    api_port: int, dagster_port: int, code_port: int, ready_timeout: float | None, exit_after: bool
) -> None:
    """`kra up`, then one collection through the REST API; keeps serving until Ctrl-C."""
    outcome: dict[str, Any] = {}

    def then(stack: Stack) -> None:
        outcome.update(demo_collection(stack))

    stack = Stack(api_port, dagster_port, code_port=code_port)
    stack.ready = ready_settings(ready_timeout)
    run_stack(stack, then, serve=not exit_after)
    if exit_after and outcome.get("job", {}).get("status") != "completed":
        raise click.ClickException("the demo collection did not complete; see the messages above")
