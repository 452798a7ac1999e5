"""Names the pipeline and the REST shim share: assets, jobs and run tags.

Importable on its own (no Dagster import), so both sides agree on one spelling.
"""

RAW_ASSET = "raw_race_day"
COLLECTED_ASSET = "collected_race_day"
ENRICHED_ASSET = "enriched_race_day"
RACE_DAY_ASSETS: tuple[str, ...] = (RAW_ASSET, COLLECTED_ASSET, ENRICHED_ASSET)

COLLECT_WITH_ENRICHMENT_JOB = "collect_races"
COLLECT_CARDS_ONLY_JOB = "collect_race_cards"

# What kind of work a run is: collection, enrichment, batch or backfill.
JOB_TYPE_TAG = "kra/job_type"
# Fingerprint of the REST caller's API key (never the key itself).
CALLER_TAG = "kra/caller"
# The REST collection options, as sorted JSON.
OPTIONS_TAG = "kra/options"
# Set on a run whose KRA calls were refused for configuration (bad or missing key, no access):
# the REST health check reads it, so a rejected key shows without spending an API call.
CONFIGURATION_ERROR_TAG = "kra/configuration_error"
# Tags Dagster itself puts on partitioned and backfill runs.
PARTITION_TAG = "dagster/partition"
BACKFILL_TAG = "dagster/backfill"
