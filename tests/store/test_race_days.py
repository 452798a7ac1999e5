"""Raw and collected race days: round trips, idempotent re-runs, partial and atomic replaces."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from kra_pipeline.races.models import Race, is_post_race_field
from kra_pipeline.store.race_days import (
    load_collected_race_day,
    load_raw_race_day,
    replace_collected_race_day,
    save_raw_race_day,
)
from kra_pipeline.store.tables import EntrantResultRow, EntrantRow, RaceRow
from kra_pipeline.store.views import list_races
from tests.fixtures.store_summary import race_day_summary
from tests.store.helpers import SAMPLE_DATE, SAMPLE_MEET, prerace_races, sample_pages, sample_races


def _row_counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.scalar(select(func.count()).select_from(table))
            for table in (RaceRow, EntrantRow, EntrantResultRow)
        )


def test_raw_pages_come_back_exactly_and_a_refetch_replaces_them(store: Engine) -> None:
    pages = sample_pages()
    assert load_raw_race_day(store, SAMPLE_DATE, SAMPLE_MEET) is None

    save_raw_race_day(store, SAMPLE_DATE, SAMPLE_MEET, pages, api_calls=1)
    assert load_raw_race_day(store, SAMPLE_DATE, SAMPLE_MEET) == pages

    refetched = sample_pages(race_count=2)
    save_raw_race_day(store, SAMPLE_DATE, SAMPLE_MEET, refetched, api_calls=2)
    assert load_raw_race_day(store, SAMPLE_DATE, SAMPLE_MEET) == refetched
    assert load_raw_race_day(store, SAMPLE_DATE, 1) is None
    # Numbers keep their JSON type: KRA's 3 stays an int, 3.6 a float.
    item = load_raw_race_day(store, SAMPLE_DATE, SAMPLE_MEET)[0]["response"]["body"]["items"]
    assert item["item"][0]["winOdds"] == 3 and isinstance(item["item"][0]["winOdds"], int)


def test_finished_races_round_trip_to_equal_models(store: Engine) -> None:
    races = sample_races(race_count=2)
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races)

    assert load_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET) == races
    assert load_collected_race_day(store, SAMPLE_DATE, 1) == []


def test_collecting_the_same_day_twice_leaves_the_same_rows(store: Engine) -> None:
    races = sample_races(race_count=3)
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races)
    first = _row_counts(store)
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races)

    assert _row_counts(store) == first == (3, 30, 30)
    assert load_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET) == races


def test_replacing_some_race_numbers_keeps_the_other_races(store: Engine) -> None:
    races = sample_races(race_count=3)
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races)
    later = datetime(2025, 5, 23, 9, 0, tzinfo=UTC)
    race_two = races[1].model_copy(update={"weather": "비", "entrants": races[1].entrants[:4]})

    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, [race_two], {2}, collected_at=later)

    stored = load_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET)
    assert [race.race_no for race in stored] == [1, 2, 3]
    assert stored[0] == races[0] and stored[2] == races[2]
    assert stored[1].weather == "비" and len(stored[1].entrants) == 4


def test_replacing_a_race_number_with_nothing_removes_that_race(store: Engine) -> None:
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, sample_races(race_count=3))
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, [], {3})
    stored = load_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET)
    assert [race.race_no for race in stored] == [1, 2]


def test_whole_day_replace_drops_races_no_longer_listed(store: Engine) -> None:
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, sample_races(race_count=3))
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, sample_races(race_count=2))
    assert _row_counts(store) == (2, 20, 20)


def test_a_failed_replace_leaves_the_previous_rows(store: Engine) -> None:
    races = sample_races(race_count=2)
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races)
    # Two entrants in the same gate: the insert fails after the old rows were deleted.
    entrants = races[0].entrants
    clash = entrants[1].model_copy(update={"gate_no": entrants[0].gate_no})
    broken = races[0].model_copy(update={"entrants": [entrants[0], clash]})

    with pytest.raises(IntegrityError):
        replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, [broken, races[1]])

    assert load_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET) == races


def test_post_race_fields_never_reach_the_entrant_card(store: Engine) -> None:
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, sample_races())
    with store.connect() as connection:
        cards = connection.execute(select(EntrantRow.pre_race)).scalars().all()
        result_keys = connection.execute(select(EntrantResultRow.post_race)).scalars().all()
    assert len(cards) == 10
    for card in cards:
        assert "chulNo" in card and "winOdds" in card
        assert not [name for name in card if is_post_race_field(name)]
    assert all("ord" in keys and "rcTime" in keys for keys in result_keys)


def test_an_unfinished_race_is_stored_as_its_card_only(store: Engine) -> None:
    races = prerace_races()
    race = races[0]
    replace_collected_race_day(store, race.race_date, race.meet, races)

    (stored,) = load_collected_race_day(store, race.race_date, race.meet)
    assert not stored.is_finished
    assert _row_counts(store) == (1, 11, 0)
    # Placeholders and leaked sectionals (se_3cAccTime, sj_*Ord) are gone; the card is intact.
    expected = [
        entrant.model_copy(update={"raw": entrant.pre_race_view(), "sectionals": {}})
        for entrant in race.entrants
    ]
    assert stored.entrants == expected
    assert all(entry["result"] is None for entry in list_races(store, "20250608", 1)[0]["entrants"])


def test_races_of_another_day_are_refused(store: Engine) -> None:
    races = sample_races()
    with pytest.raises(ValueError, match="does not belong to race day 20250524/3"):
        replace_collected_race_day(store, "20250524", SAMPLE_MEET, races)
    with pytest.raises(ValueError, match="not among the race numbers"):
        replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races, {2})
    with pytest.raises(ValueError, match="YYYYMMDD"):
        load_collected_race_day(store, "2025-05-23", SAMPLE_MEET)


def test_summary_and_listing_follow_the_stored_day(store: Engine) -> None:
    empty = race_day_summary(store, SAMPLE_DATE, SAMPLE_MEET)
    assert (empty.has_raw_pages, empty.race_count, empty.entry_count) == (False, 0, 0)

    save_raw_race_day(store, SAMPLE_DATE, SAMPLE_MEET, sample_pages(2), api_calls=1)
    races: list[Race] = sample_races(race_count=2)
    replace_collected_race_day(store, SAMPLE_DATE, SAMPLE_MEET, races)

    summary = race_day_summary(store, SAMPLE_DATE, SAMPLE_MEET).to_dict()
    assert summary == {
        "race_date": SAMPLE_DATE,
        "meet": SAMPLE_MEET,
        "has_raw_pages": True,
        "race_count": 2,
        "entry_count": 20,
        "finished_race_count": 2,
        "enriched_entry_count": 0,
    }
    listed = list_races(store, SAMPLE_DATE, SAMPLE_MEET)
    assert [race["race_no"] for race in listed] == [1, 2]
    winner = next(e for e in listed[0]["entrants"] if e["result"]["finish_position"] == 1)
    assert (winner["gate_no"], winner["horse_no"], winner["body_weight"]) == (10, "0051228", 511)
    assert winner["result"]["finish_time"] == 75.4
    assert winner["enrichment"] is None
