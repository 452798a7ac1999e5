"""`kra simulator`: serve the offline KRA API until Ctrl-C, for demos and manual checks."""

from __future__ import annotations

import signal
import time
from types import FrameType

import click

from kra_simulator.config import SIMULATOR_API_KEY, SimulatorConfig
from kra_simulator.server import SimulatorServer
from kra_simulator.traffic import QUOTA_MODES
from kra_simulator.world import DEFAULT_SEED, SimulatedWorld, seoul_today


def _stop_on_terminate(signum: int, frame: FrameType | None) -> None:
    """Treat SIGTERM (process managers, `kill`) like Ctrl-C so the port is released cleanly."""
    raise KeyboardInterrupt


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="0 picks a free port.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, help="World seed.")
@click.option(
    "--today",
    default=None,
    help="YYYYMMDD; races before it have results, later ones are cards. [default: today, KST]",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    help=f"Key the simulator accepts (repeatable). [default: {SIMULATOR_API_KEY}]",
)
@click.option(
    "--quota-per-minute", type=click.IntRange(min=1), default=None, help="Default: no quota."
)
@click.option(
    "--quota-mode",
    type=click.Choice(QUOTA_MODES),
    default="22",
    show_default=True,
    help="Over quota: gateway error 22, HTTP 429 with Retry-After, or a mix.",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Share of requests answered with a 5xx, a truncated body or a slow answer.",
)
@click.option("--slow-seconds", type=click.FloatRange(min=0.0), default=2.0, show_default=True)
@click.option(
    "--refuse",
    "refused_apis",
    multiple=True,
    help="API id the key is not granted, answered with gateway error 20 (repeatable), "
    "e.g. --refuse API4_3.",
)
@click.option(
    "--unserved",
    "unserved_apis",
    multiple=True,
    help="API id answered with gateway error 12, no such service (repeatable), "
    "e.g. --unserved API28_1.",
)
@click.option(
    "--daily-quota",
    type=click.IntRange(min=1),
    default=None,
    help="Calls per API per KST day before gateway error 22. Default: no daily quota.",
)
def simulator_command(
    host: str,
    port: int,
    seed: int,
    today: str | None,
    api_keys: tuple[str, ...],
    quota_per_minute: int | None,
    quota_mode: str,
    fault_rate: float,
    slow_seconds: float,
    refused_apis: tuple[str, ...],
    unserved_apis: tuple[str, ...],
    daily_quota: int | None,
) -> None:
    """Serve the offline KRA API simulator on loopback until Ctrl-C."""
    try:
        world = SimulatedWorld(seed, today or seoul_today())
        config = SimulatorConfig(
            seed=seed,
            today=world.today,
            host=host,
            port=port,
            api_keys=frozenset(api_keys or {SIMULATOR_API_KEY}),
            quota_per_window=quota_per_minute,
            quota_window_seconds=60.0,
            quota_mode=quota_mode,
            fault_rate=fault_rate,
            slow_seconds=slow_seconds,
            refused_apis=frozenset(refused_apis),
            unserved_apis=frozenset(unserved_apis),
            daily_quota=daily_quota,
        )
        server = SimulatorServer(config, world).start()
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from error
    key = sorted(config.api_keys)[0]
    click.echo(f"KRA simulator (seed {seed}, today {world.today}) at {server.base_url}")
    click.echo("Point the pipeline at it with:")
    click.echo(f"  KRA_API_BASE_URL={server.base_url} KRA_API_KEY={key}")
    click.echo("Stats: GET /_simulator/stats · reset: POST /_simulator/reset · Ctrl-C to stop.")
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        click.echo("Stopping the KRA simulator.")
    finally:
        server.stop()
