"""Race days: the raw answer (per day, or from API4_3 month answers) → the collected card and
results → enriched entrants, their checks, jobs, the evening schedule and re-collection sensor."""

from kra_pipeline.defs.race_days.collected import collected_race_day
from kra_pipeline.defs.race_days.enriched import enriched_race_day
from kra_pipeline.defs.race_days.raw import raw_race_day

race_day_assets = [raw_race_day, collected_race_day, enriched_race_day]
