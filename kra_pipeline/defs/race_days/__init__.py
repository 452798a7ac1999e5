"""The race-day stages, one module each: raw answer → collected card and results → enriched
entrants; `checks` holds the asset checks of the last two."""

from kra_pipeline.defs.race_days.collected import collected_race_day
from kra_pipeline.defs.race_days.enriched import enriched_race_day
from kra_pipeline.defs.race_days.raw import raw_race_day

race_day_assets = [raw_race_day, collected_race_day, enriched_race_day]

__all__ = ["collected_race_day", "enriched_race_day", "race_day_assets", "raw_race_day"]
