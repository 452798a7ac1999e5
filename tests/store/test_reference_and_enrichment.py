"""Horses, jockeys, trainers (the 7-day detail cache) and the enriched entrants of a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from kra_pipeline.races.models import (
    EnrichedEntrant,
    HorseDetail,
    JockeyDetail,
    TrainerDetail,
    envelope_items,
)
from kra_pipeline.store.enriched import load_enriched_race_day, replace_enriched_race_day
from kra_pipeline.store.race_days import replace_collected_race_day
from kra_pipeline.store.reference import (
    load_horses,
    load_jockeys,
    load_trainers,
    upsert_horses,
    upsert_jockeys,
    upsert_trainers,
)
from kra_pipeline.store.tables import EnrichedEntrantRow
from kra_pipeline.store.views import list_races
from tests.fixtures.samples import load_sample_json
from tests.fixtures.store_summary import race_day_summary
from tests.store.helpers import SAMPLE_DATE, SAMPLE_MEET, sample_races

NOW = datetime(2025, 5, 23, 9, 0, tzinfo=UTC)


def _sample_detail(name: str) -> dict:
    (item,) = envelope_items(load_sample_json(name))
    return item


def _horse() -> HorseDetail:
    return HorseDetail.from_item(_sample_detail("coyasong_examples_api8_2_response.json"))


def _jockey() -> JockeyDetail:
    return JockeyDetail.from_item(_sample_detail("coyasong_examples_api12_response.json"))


def _trainer() -> TrainerDetail:
    return TrainerDetail.from_item(_sample_detail("coyasong_examples_api19_1_response.json"))


def test_details_round_trip_and_unknown_ids_are_missing(store: Engine) -> None:
    horse, jockey, trainer = _horse(), _jockey(), _trainer()
    assert upsert_horses(store, [horse], NOW) == 1
    upsert_jockeys(store, [jockey], NOW)
    upsert_trainers(store, [trainer], NOW)

    assert load_horses(store, [horse.horse_no, "0000001"]) == {horse.horse_no: horse}
    assert load_jockeys(store, [jockey.jockey_no]) == {jockey.jockey_no: jockey}
    loaded_trainer = load_trainers(store, [trainer.trainer_no])[trainer.trainer_no]
    assert loaded_trainer == trainer
    assert loaded_trainer.win_rate_total == trainer.win_rate_total == 12.0


def test_details_older_than_the_cut_off_count_as_missing_until_refreshed(store: Engine) -> None:
    horse = _horse()
    upsert_horses(store, [horse], NOW - timedelta(days=8))
    cut_off = NOW - timedelta(days=7)
    assert load_horses(store, [horse.horse_no], fresher_than=cut_off) == {}
    assert horse.horse_no in load_horses(store, [horse.horse_no])

    refreshed = horse.model_copy(update={"starts_total": 3, "wins_total": 2})
    upsert_horses(store, [refreshed], NOW)
    assert load_horses(store, [horse.horse_no], fresher_than=cut_off) == {horse.horse_no: refreshed}


def test_upsert_takes_the_last_copy_of_a_repeated_id_and_many_ids_at_once(store: Engine) -> None:
    horse = _horse()
    herd = [horse.model_copy(update={"horse_no": f"{n:07d}"}) for n in range(1, 1201)]
    last = horse.model_copy(update={"horse_no": "0000001", "rating": 77})
    assert upsert_horses(store, [*herd, last], NOW) == 1200
    loaded = load_horses(store, [h.horse_no for h in herd], fresher_than=NOW)
    assert len(loaded) == 1200
    assert loaded["0000001"].rating == 77


def _enriched_day(store: Engine, race_count: int = 2) -> list[EnrichedEntrant]:
    races = sample_races(race_count)
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races)
    horse, jockey = _horse(), _jockey()
    return [
        EnrichedEntrant.build(entrant, horse, jockey, None)
        for race in races
        for entrant in race.entrants
    ]


def test_enriched_entrants_round_trip_and_partial_replace(store: Engine) -> None:
    rows = _enriched_day(store)
    replace_enriched_race_day(store, SAMPLE_DATE, SAMPLE_MEET, rows)
    assert load_enriched_race_day(store, SAMPLE_DATE, SAMPLE_MEET) == rows
    assert rows[0].missing_details == ["trainer"]

    race_two = [row for row in rows if row.race_no == 2][:3]
    replace_enriched_race_day(store, SAMPLE_DATE, SAMPLE_MEET, race_two, {2})
    stored = load_enriched_race_day(store, SAMPLE_DATE, SAMPLE_MEET)
    assert stored == [row for row in rows if row.race_no == 1] + race_two
    assert race_day_summary(store, SAMPLE_DATE, SAMPLE_MEET).enriched_entry_count == 13


def test_listing_shows_enrichment_beside_the_card(store: Engine) -> None:
    rows = _enriched_day(store, race_count=1)
    replace_enriched_race_day(store, SAMPLE_DATE, SAMPLE_MEET, rows)
    (race,) = list_races(store, SAMPLE_DATE, SAMPLE_MEET)
    enrichment = race["entrants"][0]["enrichment"]
    assert enrichment["jockey_starts_total"] == 6254
    assert enrichment["jockey_win_rate_total"] == rows[0].jockey_win_rate_total
    assert enrichment["trainer_win_rate_total"] is None
    assert enrichment["missing_details"] == ["trainer"]


def test_enriched_table_has_a_column_for_every_model_field() -> None:
    columns = {column.key for column in EnrichedEntrantRow.__table__.columns} - {"id"}
    assert columns == set(EnrichedEntrant.model_fields)
