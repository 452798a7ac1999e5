"""GET /api/v2/predict/track-record refuses bad dates and card kinds with a reason, and answers
an empty record while no pre-race prediction is stored (scores: tests/prediction/test_leakage)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kra_pipeline.store.db import dispose_engines
from tests.api.conftest import HEADERS_A

URL = "/api/v2/predict/track-record"


@pytest.fixture
def client(
    make_client: Callable[..., TestClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> TestClient:
    monkeypatch.setenv("KRA_DATABASE_URL", f"sqlite:///{tmp_path / 'races.sqlite'}")
    with make_client() as client:
        yield client
    dispose_engines()


def test_bad_dates_and_cards_are_refused_with_the_reason(client: TestClient) -> None:
    for params, reason in (
        ({"date_from": "2025-03-01"}, "YYYYMMDD"),
        ({"date_from": "20250231"}, "not a calendar day"),
        ({"date_from": "20250310", "date_to": "20250301"}, "swap them"),
        ({"card": "evening"}, "sheet"),
    ):
        answer = client.get(URL, params=params, headers=HEADERS_A)
        assert answer.status_code == 422, params
        assert reason in str(answer.json()["detail"]), params


def test_no_stored_prediction_is_an_empty_record(client: TestClient) -> None:
    answer = client.get(
        URL, params={"date_from": "20250301", "date_to": "20250331", "card": "sheet"},
        headers=HEADERS_A,
    )  # fmt: skip
    assert answer.status_code == 200
    body = answer.json()
    assert (body["card"], body["overall"], body["weeks"]) == ("sheet", [], [])
