"""Stage 2, collected: typed races and entrants, the results kept apart from the pre-race card."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from kra_pipeline import contract as c
from kra_pipeline.defs.race_days.checks import COLLECTED_CHECKS, collected_check_results
from kra_pipeline.defs.race_days.raw import raw_race_day
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.batch import RACE_DAY_BACKFILL_POLICY, BatchReport, race_days_of
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions
from kra_pipeline.defs.shared.preview import races_markdown
from kra_pipeline.defs.shared.resources import RaceSelection, RaceStoreResource
from kra_pipeline.races.models import Race, group_races, parse_race_day
from kra_pipeline.store import race_days
from kra_pipeline.store.cards import load_race_cards


def selected_races(races: list[Race], selection: RaceSelection) -> list[Race]:
    """The races a run's `race_selection` asks for (all of them when it names none)."""
    chosen = selection.chosen()
    return [race for race in races if chosen is None or race.race_no in chosen]


@asset(
    name=c.COLLECTED_ASSET,
    partitions_def=race_day_partitions,
    deps=[raw_race_day],
    backfill_policy=RACE_DAY_BACKFILL_POLICY,
    group_name=Group.RACE_DAYS,
    kinds={"python"},
    check_specs=COLLECTED_CHECKS,
    description="Typed races and entrants; results kept apart from the pre-race card.",
)
def collected_race_day(
    context: AssetExecutionContext, race_store: RaceStoreResource, race_selection: RaceSelection
) -> MaterializeResult:
    engine = race_store.engine()
    report = BatchReport(context)
    with report.keeping_finished():
        for key, race_date, meet in race_days_of(context):
            pages = race_days.load_raw_race_day(engine, race_date, meet)
            if pages is None:
                raise ValueError(
                    f"no raw answer stored for {race_date} meet {meet}: "
                    f"materialize {c.RAW_ASSET} first"
                )
            races = selected_races(group_races(parse_race_day(pages)), race_selection)
            race_days.replace_collected_race_day(
                engine, race_date, meet, races, race_numbers=race_selection.chosen()
            )
            stored = race_days.load_collected_race_day(engine, race_date, meet)
            metadata = {
                c.RACE_COUNT: len(stored),
                names.ENTRY_COUNT: sum(len(race.entrants) for race in stored),
                c.FINISHED_RACE_COUNT: sum(1 for race in stored if race.is_finished),
                names.RACE_NUMBERS: [race.race_no for race in stored],
                names.PREVIEW: MetadataValue.md(races_markdown(stored)),
            }
            cards = load_race_cards(engine, race_date, meet)
            report.add(key, metadata, collected_check_results(stored, cards))
    return report.result()
