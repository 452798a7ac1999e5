"""`kra`: the project's one command line.

Each subcommand module imports only what its command line needs; the heavy parts (Dagster, the
REST app) load inside the command functions, so `kra --help` and `kra simulator` start fast.
"""

from __future__ import annotations

import click

from kra_cli.backfill import backfill_command
from kra_cli.demo import demo_command
from kra_cli.diagnose import diagnose_command
from kra_cli.export import export_command
from kra_cli.keys import keys_command
from kra_cli.model import model_command
from kra_cli.stack import up_command
from kra_simulator.cli import simulator_command


@click.group()
def main() -> None:
    """Collect Korean horse-racing data from the KRA open API."""


_COMMANDS = (
    backfill_command,
    demo_command,
    diagnose_command,
    export_command,
    keys_command,
    model_command,
    simulator_command,
    up_command,
)
for command in _COMMANDS:
    main.add_command(command)
