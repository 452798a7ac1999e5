"""The race store: raw pages, collected races, reference data and enrichment in SQL.

SQLite (`<KRA_HOME>/races.sqlite`) by default, PostgreSQL through KRA_DATABASE_URL. The schema
migrates itself on first use; see `kra_pipeline.store.db` for running Alembic by hand.
"""

from kra_pipeline.store.db import (
    RaceStoreConnectionError,
    RaceStoreError,
    database_url,
    dispose_engines,
    get_engine,
)
from kra_pipeline.store.repository import (
    RaceDaySummary,
    list_races,
    load_collected_race_day,
    load_enriched_race_day,
    load_horses,
    load_jockeys,
    load_raw_race_day,
    load_trainers,
    race_day_summary,
    replace_collected_race_day,
    replace_enriched_race_day,
    save_raw_race_day,
    upsert_horses,
    upsert_jockeys,
    upsert_trainers,
)

__all__ = [
    "RaceDaySummary",
    "RaceStoreConnectionError",
    "RaceStoreError",
    "database_url",
    "dispose_engines",
    "get_engine",
    "list_races",
    "load_collected_race_day",
    "load_enriched_race_day",
    "load_horses",
    "load_jockeys",
    "load_raw_race_day",
    "load_trainers",
    "race_day_summary",
    "replace_collected_race_day",
    "replace_enriched_race_day",
    "save_raw_race_day",
    "upsert_horses",
    "upsert_jockeys",
    "upsert_trainers",
]
