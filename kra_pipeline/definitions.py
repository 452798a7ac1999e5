"""The Dagster code location `kra` (assets are added as they are built)."""

from dagster import Definitions

defs = Definitions()
