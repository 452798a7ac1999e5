"""`kra model list|promote`: the race models in the registry, and serving one by hand."""

from __future__ import annotations

import click


@click.group("model")
def model_command() -> None:
    """List the saved race models and choose the served one."""


@model_command.command("list")
def list_() -> None:
    """Versions, training window, backtest or not, served or not, walk-forward log-loss."""
    from rich.console import Console
    from rich.table import Table

    from kra_pipeline.prediction import artefact, registry

    cards = artefact.all_cards()
    if not cards:
        raise click.ClickException("no race model saved yet: materialize race_model first")
    served = artefact.served_version()
    table = Table()
    table.add_column("version", no_wrap=True, min_width=max(len(c.version) for c in cards))
    for heading in ("trained", "backtest", "served", "log-loss", "weeks"):
        table.add_column(heading)
    for card in cards:
        log_loss = registry.mean_log_loss(card)
        table.add_row(
            card.version,
            f"{card.trained_from}–{card.trained_until}",
            "yes" if card.backtest else "",
            "served" if card.version == served else "",
            "-" if log_loss is None else f"{log_loss:.4f}",
            str(len(card.weekly)),
        )
    Console().print(table)


@model_command.command("promote")
@click.argument("version")
@click.option("--reason", default="", help="Why, kept in promotions.jsonl beside the figures.")
def promote(version: str, reason: str) -> None:
    """Serve the race model VERSION (see `kra model list`) from now on."""
    from kra_pipeline.prediction import registry

    try:
        decision = registry.promote(version, reason)
    except (registry.UnknownVersion, registry.NeverServed) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"race model {version} is served (was {decision.previous or 'none'}): {decision.reason}"
    )
