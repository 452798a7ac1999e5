"""`kra export`: the entrant frames with point-in-time form to Parquet or CSV files."""

from __future__ import annotations

from pathlib import Path

import click

from kra_pipeline.contract import (
    MEET_CODES,
    MEET_HELP,
    RACE_DATE_RE,
)


def _date(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not RACE_DATE_RE.match(value):
        raise click.BadParameter(f"write the date as YYYYMMDD, e.g. 20250101; got {value!r}")
    return value


@click.command("export")
@click.option("--from", "date_from", required=True, callback=_date, help="First day, YYYYMMDD.")
@click.option("--to", "date_to", required=True, callback=_date, help="Last day, YYYYMMDD.")
@click.option(
    "--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Folder.")
@click.option(
    "--meet",
    "meets",
    multiple=True,
    type=click.Choice([str(m) for m in MEET_CODES]),
    help=f"Only these meets ({MEET_HELP}); repeat for several. Default: all.",
)
def export_command(
    date_from: str, date_to: str, fmt: str, out_dir: Path, meets: tuple[str, ...]
) -> None:
    """Export entrants with results, registry snapshots and point-in-time form."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kra_pipeline.dataset.export import export_entrants

    if date_from > date_to:
        raise click.BadParameter(f"--from {date_from} is after --to {date_to}: swap them")
    years = int(date_to[:4]) - int(date_from[:4]) + 1
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task("computing form", total=years)

        def advance(year: str, rows: int) -> None:
            progress.update(task, advance=1, description=f"{year}: {rows} entrants")

        summary = export_entrants(
            out_dir,
            date_from,
            date_to,
            fmt,  # type: ignore[arg-type]
            [int(m) for m in meets] or None,
            progress=advance,
        )
        progress.update(task, completed=years)
    click.echo(f"{summary.rows} entrants ({', '.join(summary.years) or 'no racing'}) in {out_dir}")
    click.echo(f"Schema: {out_dir / 'README.md'}")
