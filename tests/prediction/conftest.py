"""The simulated Jeju history with point-in-time form, read once for every prediction test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kra_pipeline.dataset import entrants
from kra_pipeline.store.db import dispose_engines, get_engine
from tests.form.history import FIRST_DAY, LAST_DAY, MEET


@pytest.fixture(scope="session")
def history(history_file: Path) -> pd.DataFrame:
    frame = entrants(
        FIRST_DAY, LAST_DAY, [MEET], form=True, engine=get_engine(f"sqlite:///{history_file}")
    )
    dispose_engines()
    return frame
