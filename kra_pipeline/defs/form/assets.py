"""`entrant_form`: point-in-time form of a race day's entrants, from the store's earlier results.

Reads only the race store (no KRA call), so it needs no pool; a re-run gives the same rows as
long as the days before it are unchanged, whatever was collected after it.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from kra_pipeline.defs.race_days.collected import collected_race_day
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions, split_race_day_key
from kra_pipeline.defs.shared.resources import RaceStoreResource
from kra_pipeline.store import form as stored_form

_PREVIEW_COLUMNS = [
    "race_no",
    "gate_no",
    "horse_no",
    "is_scratched",
    "horse_starts",
    "horse_win_rate",
    "horse_days_since_last_start",
    "jockey_win_rate_365d",
    "field_size",
]


@asset(
    name=names.FORM_ASSET,
    partitions_def=race_day_partitions,
    deps=[collected_race_day],
    group_name=Group.FORM,
    kinds={"python", "pandas"},
    description=(
        "Point-in-time form of each entrant (horse, jockey, trainer, pair, field) from the "
        "store's results strictly before the race date; never the registries' counters."
    ),
)
def entrant_form(
    context: AssetExecutionContext, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    with race_store.writable() as engine:
        form = stored_form.point_in_time_form(
            engine, stored_form.race_day_entrants(engine, race_date, meet)
        )
        stored_form.replace_entrant_form(engine, race_date, meet, form)
    preview = form[_PREVIEW_COLUMNS].head(20)
    return MaterializeResult(
        metadata={
            names.ENTRY_COUNT: len(form),
            names.FIRST_START_COUNT: int(form["horse_starts"].isna().sum()),
            names.PREVIEW: MetadataValue.md(preview.to_markdown(index=False) if len(form) else "-"),
        }
    )
