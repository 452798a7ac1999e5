"""Where the project keeps its state: `.kra/` in the working directory, or KRA_HOME."""

from __future__ import annotations

import os
from pathlib import Path


def kra_home() -> Path:
    """The state directory (race store, limiter bucket, Dagster home), created on demand."""
    home = Path(os.environ.get("KRA_HOME") or Path.cwd() / ".kra").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def dagster_home() -> Path:
    """DAGSTER_HOME if set, else `<KRA_HOME>/dagster`; never Dagster's throwaway instance."""
    explicit = os.environ.get("DAGSTER_HOME")
    path = Path(explicit).resolve() if explicit else kra_home() / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    return path
