"""Normalisation of real KRA items into typed models."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kra_pipeline.races.models import (
    EnrichedEntrant,
    HorseDetail,
    JockeyDetail,
    TrainerDetail,
    envelope_items,
    group_races,
    is_post_race_field,
    meet_code,
    normalise_id,
    parse_race_day,
    split_body_weight,
)
from tests.fixtures.samples import load_sample_json


def first_item(name: str) -> dict:
    return envelope_items(load_sample_json(name))[0]


def test_result_sample_parses_typed_entrants_with_raw_kept():
    entrants = parse_race_day([load_sample_json("coyasong_examples_api214_response.json")])
    assert len(entrants) == 10  # the page KRA truncated to its default 10 rows
    first = entrants[0]
    assert (first.race_date, first.meet, first.race_no, first.gate_no) == ("20250523", 3, 1, 10)
    assert first.horse_no == "0051228"
    assert first.owner_no == "118011"  # sent as a bare integer
    assert (first.body_weight, first.body_weight_change) == (511, 2)
    assert first.finish_position == 1
    assert first.finish_time == pytest.approx(75.4)
    assert first.raw["wgHr"] == "511(+2)"
    assert len(first.raw) == 90


def test_mixed_id_typing_is_normalised_to_zero_padded_strings():
    entrants = parse_race_day([load_sample_json("coyasong_data_race_1_20250608_1_prerace.json")])
    horse_ids = {entrant.horse_no for entrant in entrants}
    assert "1412309" in horse_ids and "0047250" in horse_ids
    assert all(len(entrant.horse_no) == 7 for entrant in entrants)
    assert all(len(entrant.owner_no or "") == 6 for entrant in entrants)


def test_pre_race_card_has_no_result_and_its_view_drops_leaked_sectionals():
    entrants = parse_race_day([load_sample_json("coyasong_data_race_1_20250608_1_prerace.json")])
    (race,) = group_races(entrants)
    assert not race.is_finished
    leaked = entrants[0]
    assert leaked.raw["se_3cAccTime"] != 0 and leaked.raw["sj_3cOrd"] != 0
    view = leaked.pre_race_view()
    assert not any(is_post_race_field(name) for name in view)
    assert "se_3cAccTime" not in view and "sj_3cOrd" not in view and "jeG3fTime" not in view
    assert "winOdds" in view and "wgHr" in view and "budam" in view


@pytest.mark.parametrize(
    "name",
    [
        "ord",
        "ordBigo",
        "rankRise",
        "diffUnit",
        "rcTime",
        "buS1fTime",
        "se_3cAccTime",
        "sj_2cOrd",
        "jeG3fTime",
        "bu_10_8fTime",
        "sjG1fOrd",
        "seG1fAccTime",
        "je_4cTime",
    ],
)
def test_post_race_fields_are_recognised_by_pattern(name):
    assert is_post_race_field(name)


@pytest.mark.parametrize("name", ["budam", "buga1", "winOdds", "plcOdds", "rcDist", "rank", "wgHr"])
def test_card_fields_are_not_post_race(name):
    assert not is_post_race_field(name)


@pytest.mark.parametrize(
    ("name", "code"),
    [("서울", 1), ("제주", 2), ("부경", 3), ("부산경남", 3), ("부산", 3), ("2", 2), (3, 3)],
)
def test_meet_names_map_to_codes(name, code):
    assert meet_code(name) == code


def test_unknown_meet_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="unknown meet"):
        meet_code("대전")


@given(st.integers(min_value=0, max_value=9_999_999))
def test_ids_normalise_the_same_whether_quoted_or_not(number):
    padded = str(number).zfill(7)
    assert normalise_id(number, 7) == normalise_id(padded, 7) == padded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("511(+2)", (511, 2)),
        ("449(-3)", (449, -3)),
        ("470(0)", (470, 0)),
        ("470", (470, None)),
        ("-", (None, None)),
        (None, (None, None)),
    ],
)
def test_body_weight_splits_into_weight_and_change(text, expected):
    assert split_body_weight(text) == expected


def test_scratch_is_flagged_by_zero_win_odds():
    item = dict(envelope_items(load_sample_json("coyasong_examples_api214_response.json"))[0])
    item["winOdds"] = 0
    (entrant,) = parse_race_day([{"response": {"body": {"items": {"item": item}}}}])
    assert entrant.is_scratched


def test_registry_details_and_derived_rates():
    horse = HorseDetail.from_item(first_item("coyasong_examples_api8_2_response.json"))
    assert (horse.horse_no, horse.meet, horse.sire_no) == ("0051228", 3, "0031261")
    assert horse.win_rate_total == 50.0
    jockey = JockeyDetail.from_item(first_item("coyasong_examples_api12_response.json"))
    assert jockey.jockey_no == "080405"
    assert jockey.win_rate_total == pytest.approx(100 * 968 / 6254, abs=0.05)
    assert jockey.top3_rate_year == pytest.approx(100 * (59 + 48 + 40) / 415, abs=0.05)
    trainer = TrainerDetail.from_item(first_item("coyasong_examples_api19_1_response.json"))
    # KRA's own integer percents are the derived rates truncated (35.9 is sent as 35)
    assert int(trainer.win_rate_total) == trainer.raw["winRateT"]
    assert int(trainer.top2_rate_total) == trainer.raw["qnlRateT"]
    assert int(trainer.top3_rate_total) == trainer.raw["plcRateT"]
    assert trainer.start_date == "20140601"


def test_enriched_entrant_names_what_is_missing():
    entrants = parse_race_day([load_sample_json("coyasong_examples_api214_response.json")])
    horse = HorseDetail.from_item(first_item("coyasong_examples_api8_2_response.json"))
    enriched = EnrichedEntrant.build(entrants[0], horse, None, None)
    assert enriched.horse_win_rate_total == 50.0
    assert enriched.jockey_win_rate_total is None
    assert enriched.missing_details == ["jockey", "trainer"]
