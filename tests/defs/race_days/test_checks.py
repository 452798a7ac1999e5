"""The asset checks fail on the bad data they exist to catch."""

from kra_pipeline.defs.race_days.checks import (
    check_card_has_no_result_fields,
    check_enrichment_coverage,
    check_field_size,
    check_ids_normalised,
    check_unique_gates,
    collected_check_results,
)
from kra_pipeline.races.models import EnrichedEntrant, Race, group_races, parse_race_day
from tests.fixtures.samples import load_sample_json


def sample_race() -> Race:
    (race,) = group_races(
        parse_race_day([load_sample_json("coyasong_examples_api214_response.json")])
    )
    return race


def test_a_real_race_passes_every_check():
    race = sample_race()
    cards = [(race.race_no, e.gate_no, e.pre_race_view()) for e in race.entrants]
    results = collected_check_results([race], cards)
    assert [result.passed for result in results] == [True, True, True, True]


def test_field_larger_than_sixteen_fails():
    race = sample_race()
    bigger = race.entrants + [
        e.model_copy(update={"gate_no": e.gate_no + 10}) for e in race.entrants
    ]
    result = check_field_size([race.model_copy(update={"entrants": bigger[:17]})])
    assert not result.passed
    assert "17 entrants" in result.metadata["problems"].text


def test_race_without_entrants_fails():
    assert not check_field_size([sample_race().model_copy(update={"entrants": []})]).passed


def test_duplicate_gate_fails():
    race = sample_race()
    clash = race.entrants[1].model_copy(update={"gate_no": race.entrants[0].gate_no})
    result = check_unique_gates([race.model_copy(update={"entrants": [race.entrants[0], clash]})])
    assert not result.passed


def test_unpadded_id_fails():
    race = sample_race()
    broken = race.entrants[0].model_copy(update={"horse_no": "47250"})
    assert not check_ids_normalised([race.model_copy(update={"entrants": [broken]})]).passed


def test_stored_card_holding_a_result_field_fails():
    entrant = sample_race().entrants[0]
    clean_card = (1, entrant.gate_no, entrant.pre_race_view())
    assert check_card_has_no_result_fields([clean_card]).passed
    # What a fixed-list cleaner leaves behind: the card with `se_*` and `sj_*` still in it.
    leaked = {"se_3cAccTime": entrant.raw["se_3cAccTime"], "sj_2cOrd": entrant.raw["sj_2cOrd"]}
    leaky_card = (1, entrant.gate_no, {**entrant.pre_race_view(), **leaked})
    result = check_card_has_no_result_fields([leaky_card])
    assert not result.passed
    assert "se_3cAccTime" in result.metadata["problems"].text


def test_enrichment_coverage_fails_below_the_threshold():
    (race,) = [sample_race()]
    rows = [EnrichedEntrant.build(e, None, None, None) for e in race.entrants]
    assert not check_enrichment_coverage(rows).passed
    assert check_enrichment_coverage([]).passed
