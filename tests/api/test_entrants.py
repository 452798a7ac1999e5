"""GET /api/v2/entrants: flat rows with point-in-time form, paged, as JSON or CSV."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from kra_pipeline.dataset import entrants
from kra_pipeline.store.db import dispose_engines, get_engine
from tests.api.conftest import HEADERS_A
from tests.form.history import simulated_race_days, write_race_days

SPAN = ("20250103", "20250112")


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('rest') / 'races.sqlite'}"
    write_race_days(get_engine(url), simulated_race_days(*SPAN, meet=1))
    dispose_engines()
    return url


@pytest.fixture
def api(client: TestClient, store_url: str, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("KRA_DATABASE_URL", store_url)
    return client


def test_json_rows_are_paged_and_carry_form(api: TestClient, store_url: str) -> None:
    params = {"date_from": SPAN[0], "date_to": SPAN[1], "limit": 5, "offset": 3}
    response = api.get("/api/v2/entrants", params=params, headers=HEADERS_A)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = entrants(*SPAN, form=True, engine=get_engine(store_url))
    assert body["total"] == len(expected) == int(response.headers["X-Total-Count"])
    rows = body["entrants"]
    assert [r["gate_no"] for r in rows] == expected["gate_no"].iloc[3:8].tolist()
    assert rows[0]["race_date"].isdigit() and rows[0]["meet"] == 1
    assert "horse_win_rate_365d" in rows[0]


@pytest.mark.parametrize("how", [{"format": "csv"}, {"accept": "text/csv"}])
def test_csv_by_parameter_or_accept_header(api: TestClient, how: dict[str, str]) -> None:
    params = {"date_from": SPAN[0], "date_to": SPAN[1], "limit": 20, "meet": 1}
    headers = dict(HEADERS_A)
    if "accept" in how:
        headers["Accept"] = how["accept"]
    else:
        params.update(how)
    response = api.get("/api/v2/entrants", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 20 and rows[0]["meet"] == "1" and "field_size" in rows[0]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"date_from": "20250112", "date_to": "20250103"}, "swap"),
        ({"date_from": "20240101", "date_to": "20250301"}, "kra export"),
        ({"date_from": "20250230", "date_to": "20250301"}, "calendar day"),
        ({"date_from": "20250101", "date_to": "20250102", "meet": 7}, "meet"),
    ],
)
def test_bad_input_is_a_422_with_the_reason(
    api: TestClient, params: dict[str, object], reason: str
) -> None:
    response = api.get("/api/v2/entrants", params=params, headers=HEADERS_A)
    assert response.status_code == 422
    assert reason in response.text
