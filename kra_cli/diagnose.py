"""`kra diagnose`: can we reach the Dagster storage and the race store, how many runs are in
which state, and (with --date/--meet) the same collection numbers as GET /collection/status."""

from __future__ import annotations

import json
from typing import Any

import click

from kra_api.schemas import check_race_date
from kra_api.settings import ApiSettings
from kra_pipeline.contract import (
    MEET_CODES,
    MEET_HELP,
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def run_diagnosis(race_date: str | None, meet: int | None) -> dict[str, Any]:
    """Everything `kra diagnose` reports, as one JSON-ready document."""
    # The gateway loads Dagster: imported here so `kra --help` stays fast.
    from kra_api.gateway import DagsterGateway
    from kra_api.services.collection_status import compute_collection_status
    from kra_api.services.race_store import check_store

    gateway = DagsterGateway(ApiSettings().dagster_webserver_url)
    report: dict[str, Any] = {"ok": True}
    try:
        report["dagster_storage"] = {"ok": True, "runs_by_status": gateway.runs_by_status()}
    except Exception as exc:  # reported in plain words, never a traceback
        report["ok"] = False
        report["dagster_storage"] = {"ok": False, "error": _first_line(exc)}
    try:
        report["race_store"] = {"ok": True, "url": check_store()}
    except Exception as exc:
        report["ok"] = False
        report["race_store"] = {"ok": False, "error": _first_line(exc)}
    try:
        from kra_pipeline.kra.access_book import access_summary
        from kra_pipeline.kra.config import KraSettings
        from kra_pipeline.kra.daily_quota import key_access

        report["kra_apis"] = {"ok": True, **access_summary(key_access(KraSettings()))}
    except Exception as exc:  # the limiter's store unreadable: said, not fatal
        report["kra_apis"] = {"ok": False, "error": _first_line(exc)}
    if race_date is not None and meet is not None and report["dagster_storage"]["ok"]:
        report["collection_status"] = compute_collection_status(gateway, race_date, meet)
    return report


def _print_text(report: dict[str, Any]) -> None:
    storage = report["dagster_storage"]
    if storage["ok"]:
        counts = {k.lower(): v for k, v in storage["runs_by_status"].items() if v}
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no runs yet"
        click.echo(f"Dagster storage: OK ({summary})")
    else:
        click.echo(f"Dagster storage: FAILED - {storage['error']}")
    store = report["race_store"]
    if store["ok"]:
        click.echo(f"Race store: OK ({store['url']})")
    else:
        click.echo(f"Race store: FAILED - {store['error']}")
    apis = report["kra_apis"]
    if apis["ok"]:
        usable = ", ".join(apis["usable"]) or "none answered yet"
        refused = "; ".join(f"{api} ({why})" for api, why in apis["refused"].items())
        click.echo(
            f"KRA APIs this key may use: {usable}" + (f"; refused: {refused}" if refused else "")
        )
    else:
        click.echo(f"KRA APIs: unknown - {apis['error']}")
    status = report.get("collection_status")
    if status:
        click.echo(
            f"Race day {status['date']} meet {status['meet']}: status {status['status']}; "
            f"total_races {status['total_races']}, collected_races {status['collected_races']}, "
            f"enriched_races {status['enriched_races']} (collection {status['collection_status']},"
            f" enrichment {status['enrichment_status']}, results {status['result_status']}; "
            f"last updated {status['last_updated'] or 'never'})"
        )


@click.command("diagnose")
@click.option("--date", "race_date", help="Race date YYYYMMDD (with --meet).")
@click.option("--meet", type=click.IntRange(min(MEET_CODES), max(MEET_CODES)), help=MEET_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def diagnose_command(race_date: str | None, meet: int | None, as_json: bool) -> None:
    """Check the Dagster storage and the race store; report run and collection status."""
    if (race_date is None) != (meet is None):
        raise click.UsageError("give --date and --meet together (e.g. --date 20250622 --meet 1)")
    if race_date is not None and meet is not None:
        from kra_pipeline.contract import InvalidRaceDay, race_day_partition_key

        try:
            check_race_date(race_date)
            race_day_partition_key(race_date, meet)
        except (ValueError, InvalidRaceDay) as exc:
            raise click.BadParameter(str(exc), param_hint="--date") from exc
    report = run_diagnosis(race_date, meet)
    if as_json:
        click.echo(json.dumps(report, default=str, ensure_ascii=False, indent=2))
    else:
        _print_text(report)
    if not report["ok"]:
        raise SystemExit(1)
