"""The envelope parser on every real (and reconstructed) KRA answer in tests/data/kra_samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kra_pipeline.kra.envelope import parse_body
from kra_pipeline.kra.errors import (
    KraConfigurationError,
    KraError,
    KraQuotaError,
    KraRequestError,
    KraTransientError,
)
from tests.fixtures.samples import SAMPLES_DIR, load_sample_json, load_sample_text

# What each sample must parse to: (items on the page, totalCount) or the error class and code.
EXPECTED: dict[str, tuple[int, int] | tuple[type[KraError], str]] = {
    "coyasong_data_race_1_20250608_1_enriched.json": (11, 11),
    "coyasong_data_race_1_20250608_1_prerace.json": (11, 11),
    "coyasong_examples_api12_response.json": (1, 1),
    "coyasong_examples_api12_response.xml": (1, 1),
    "coyasong_examples_api19_1_response.json": (1, 1),
    "coyasong_examples_api19_1_response.xml": (1, 1),
    "coyasong_examples_api214_response.json": (10, 11),
    "coyasong_examples_api214_response.xml": (10, 4040),
    "coyasong_examples_api299_response.json": (10, 173),
    "coyasong_examples_api8_2_response.json": (1, 1),
    "coyasong_examples_api8_2_response.xml": (1, 1),
    "reconstructed_datagokr_gateway_error_22.xml": (KraQuotaError, "22"),
    "reconstructed_datagokr_gateway_error_30.xml": (KraConfigurationError, "30"),
    "reconstructed_datagokr_service_header_error_22.json": (KraQuotaError, "22"),
    # The JS enricher's cache entries are bare records, not envelopes: never mistaken for one.
    "coyasong_cache7d_horse_0047250.json": (KraTransientError, "BODY"),
    "coyasong_cache7d_jockey_080337.json": (KraTransientError, "BODY"),
    "coyasong_cache7d_trainer_070095.json": (KraTransientError, "BODY"),
}

SAMPLE_FILES = sorted(p.name for p in SAMPLES_DIR.iterdir() if p.suffix in {".json", ".xml"})


def test_every_sample_file_has_an_expectation() -> None:
    assert set(SAMPLE_FILES) == set(EXPECTED)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_parses_to_its_items_or_its_error(name: str) -> None:
    expected = EXPECTED[name]
    body = (SAMPLES_DIR / name).read_bytes()
    if isinstance(expected[0], int):
        envelope = parse_body(body, "API214_1")
        assert (len(envelope.items), envelope.total_count) == expected
        assert all(isinstance(item, dict) for item in envelope.items)
    else:
        error_class, code = expected
        with pytest.raises(error_class) as caught:
            parse_body(body, "API214_1")
        assert type(caught.value) is error_class
        assert caught.value.code == code
        assert caught.value.api == "API214_1"


def test_single_object_item_becomes_a_one_element_list() -> None:
    raw = load_sample_json("coyasong_examples_api8_2_response.json")
    assert isinstance(raw["response"]["body"]["items"]["item"], dict)
    envelope = parse_body(json.dumps(raw), "API8_2")
    assert [item["hrNo"] for item in envelope.items] == ["0051228"]


def test_truncated_day_shows_through_total_count() -> None:
    """The real API214 capture asked for the default 10 rows of an 11-horse race."""
    envelope = parse_body(load_sample_text("coyasong_examples_api214_response.json"), "API214_1")
    assert envelope.num_of_rows == 10
    assert envelope.total_count == 11
    assert len(envelope.items) == 10


def test_xml_answer_keeps_values_as_text_and_the_json_shape() -> None:
    envelope = parse_body(load_sample_text("coyasong_examples_api8_2_response.xml"), "API8_2")
    horse = envelope.items[0]
    assert horse["hrNo"] == "0051228"
    assert horse["rcCntT"] == "2"
    assert horse["meet"] == "부산경남"
    assert envelope.document["response"]["header"]["resultCode"] == "00"
    assert envelope.document["response"]["body"]["items"]["item"] is horse


def test_xml_and_json_captures_of_one_jockey_hold_the_same_fields() -> None:
    from_json = parse_body(load_sample_text("coyasong_examples_api12_response.json"), "API12_1")
    from_xml = parse_body(load_sample_text("coyasong_examples_api12_response.xml"), "API12_1")
    assert set(from_json.items[0]) == set(from_xml.items[0])
    assert {k: str(v) for k, v in from_json.items[0].items()} == from_xml.items[0]


def test_xml_list_of_items_stays_a_list() -> None:
    envelope = parse_body(load_sample_text("coyasong_examples_api214_response.xml"), "API214_1")
    assert len({item["chulNo"] for item in envelope.items}) == 10


@pytest.mark.parametrize("items", ["", None, {"item": ""}, {}])
def test_no_match_is_an_empty_page(items: object) -> None:
    body: dict[str, object] = {"numOfRows": 1000, "pageNo": 1, "totalCount": 0}
    if items is not None:
        body["items"] = items
    document = {"response": {"header": {"resultCode": "00", "resultMsg": "OK"}, "body": body}}
    envelope = parse_body(json.dumps(document), "API214_1")
    assert envelope.items == []
    assert envelope.total_count == 0


def test_empty_xml_items_is_an_empty_page() -> None:
    xml = (
        "<response><header><resultCode>00</resultCode><resultMsg>NORMAL SERVICE.</resultMsg>"
        "</header><body><items/><numOfRows>1000</numOfRows><pageNo>1</pageNo>"
        "<totalCount>0</totalCount></body></response>"
    )
    envelope = parse_body(xml, "API214_1")
    assert (envelope.items, envelope.total_count) == ([], 0)


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        ("10", KraRequestError),
        ("11", KraRequestError),
        ("12", KraRequestError),
        ("20", KraConfigurationError),
        ("21", KraConfigurationError),
        ("30", KraConfigurationError),
        ("31", KraConfigurationError),
        ("32", KraConfigurationError),
        ("33", KraConfigurationError),
        ("22", KraQuotaError),
        ("01", KraTransientError),
        ("02", KraTransientError),
        ("04", KraTransientError),
        ("05", KraTransientError),
        ("99", KraTransientError),
    ],
)
def test_service_header_codes_map_to_their_error_class(
    code: str, error_class: type[KraError]
) -> None:
    document = {"response": {"header": {"resultCode": code, "resultMsg": "SOME ERROR"}}}
    with pytest.raises(error_class) as caught:
        parse_body(json.dumps(document), "API12_1")
    assert type(caught.value) is error_class
    assert caught.value.code == code
    assert "API12_1" in str(caught.value)


def test_gateway_error_message_is_actionable() -> None:
    with pytest.raises(KraConfigurationError) as caught:
        parse_body(load_sample_text("reconstructed_datagokr_gateway_error_30.xml"), "API214_1")
    message = str(caught.value)
    assert "KRA_API_KEY is not registered for API214_1" in message
    assert "SERVICE_KEY_IS_NOT_REGISTERED_ERROR" in message
    assert "hours to activate" in message


@pytest.mark.parametrize(
    "body",
    [
        "",
        '{"response": {"header": {"resultCode": "00"}, "body": {"items": {"item": [{"hr',
        "Unexpected errors",
        "<html><body>502 Bad Gateway</body></html>",
        "<response><header><resultCode>00</resultCode>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><response>&a;</response>',
    ],
)
def test_torn_or_foreign_bodies_are_transient(body: str) -> None:
    with pytest.raises(KraTransientError):
        parse_body(body, "API214_1")


def test_a_truncated_real_answer_is_transient(samples_dir: Path) -> None:
    whole = (samples_dir / "coyasong_examples_api214_response.json").read_bytes()
    with pytest.raises(KraTransientError):
        parse_body(whole[: len(whole) // 2], "API214_1")
