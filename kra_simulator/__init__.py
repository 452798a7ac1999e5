"""Offline KRA open API: a deterministic racing world served over HTTP on loopback.

Plain Python (no Dagster), and independent of the KRA client so it can check it.
"""

from kra_simulator.config import SIMULATOR_API_KEY, SimulatorConfig
from kra_simulator.server import SimulatorServer
from kra_simulator.traffic import SimulatorStats
from kra_simulator.world import SimulatedWorld

__all__ = [
    "SIMULATOR_API_KEY",
    "SimulatedWorld",
    "SimulatorConfig",
    "SimulatorServer",
    "SimulatorStats",
]
