"""`kra`: the project's one command line.

Subcommands live next to the code they drive and are imported only when called, so
`kra --help` and `kra simulator` start without loading Dagster.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click.Command
SUBCOMMANDS: dict[str, str] = {
    "simulator": "kra_simulator.cli:simulator_command",
    "up": "kra_cli.stack:up_command",
    "demo": "kra_cli.stack:demo_command",
    "diagnose": "kra_cli.diagnose:diagnose_command",
}

HELP: dict[str, str] = {
    "simulator": "Serve the offline KRA API simulator on loopback.",
    "up": "Start the Dagster webserver, daemon and REST shim together.",
    "demo": "Start the stack and run one collection through the REST API.",
    "diagnose": "Check storage connections and report run and collection status.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise click.ClickException(f"{target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP[name]) for name in sorted(SUBCOMMANDS)])


@click.group(cls=LazyGroup)
def main() -> None:
    """Collect Korean horse-racing data from the KRA open API."""
