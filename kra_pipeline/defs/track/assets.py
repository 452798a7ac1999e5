"""`race_day_track`: each race's track condition, moisture and weather from API189_1, checked
against the condition and moisture API214_1 writes into its `track` text."""

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
)

from kra_pipeline import contract as c
from kra_pipeline.defs.shared import names
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import split_race_day_key
from kra_pipeline.defs.shared.refusals import only_this_source
from kra_pipeline.defs.shared.resources import KraApiResource, RaceStoreResource
from kra_pipeline.defs.shared.source_assets import problems_check, race_extra_asset
from kra_pipeline.kra import track as kra_track
from kra_pipeline.kra.track import TrackReport, parse_track
from kra_pipeline.races.models import Race
from kra_pipeline.store import race_days
from kra_pipeline.store.track import replace_track_reports

AGREES_WITH_CARD = "track_agrees_with_card"


def check_track_agrees(reports: list[TrackReport], races: list[Race]) -> AssetCheckResult:
    """Where both sources measured a race, they give the same condition and moisture."""
    cards = {race.race_no: race for race in races}
    problems = []
    for report in reports:
        race = cards.get(report.race_no)
        if race is None or report.condition is None or race.track_condition is None:
            continue
        theirs = (race.track_condition, race.track_moisture)
        moisture = None if report.moisture is None else int(report.moisture)
        if (report.condition, moisture) != theirs:
            problems.append(f"R{report.race_no}: {report.condition} {moisture}% vs card {theirs}")
    return problems_check(AGREES_WITH_CARD, names.TRACK_ASSET, problems, races=len(reports))


@race_extra_asset(
    names.TRACK_ASSET,
    Group.TRACK,
    AGREES_WITH_CARD,
    "API189_1's condition and moisture match API214_1's track text",
    f"Track condition, moisture and weather of each race ({kra_track.TRACK_API}).",
)
def race_day_track(
    context: AssetExecutionContext, kra_open_api: KraApiResource, race_store: RaceStoreResource
) -> MaterializeResult:
    race_date, meet = split_race_day_key(context.partition_key)
    races = race_days.load_collected_race_day(race_store.engine(), race_date, meet)
    reports: list[TrackReport] = []
    calls = 0
    if races:  # a day without racing has no track report: no call
        with kra_open_api.client() as client, only_this_source(kra_track.TRACK_API):
            reports = parse_track(client.fetch_track(meet, race_date))
            calls = client.stats.calls[kra_track.TRACK_API]
    with race_store.writable() as engine:
        replace_track_reports(engine, race_date, meet, reports)
    lines = ["| race | condition | moisture | weather | °C | humidity | wind |"]
    lines.append("|---|---|---|---|---|---|---|")
    lines += [
        f"| {r.race_no} | {r.condition or '-'} | {r.moisture if r.moisture is not None else '-'} "
        f"| {r.weather or '-'} | {r.temperature if r.temperature is not None else '-'} "
        f"| {r.humidity if r.humidity is not None else '-'} "
        f"| {r.wind_direction or '-'} {r.wind_speed if r.wind_speed is not None else ''} |"
        for r in reports
    ]
    return MaterializeResult(
        metadata={
            c.RACE_COUNT: len(reports),
            names.MEASURED_RACE_COUNT: sum(1 for r in reports if r.condition is not None),
            c.API_CALLS: calls,
            names.PREVIEW: MetadataValue.md("\n".join(lines) if reports else "_No racing._"),
        },
        check_results=[check_track_agrees(reports, races)],
    )
