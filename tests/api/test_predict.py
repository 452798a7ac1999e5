"""/api/v2/predict answers 503 until a model exists, then predictions that never come from a
model trained on the day asked for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from kra_pipeline.dataset import entrants
from kra_pipeline.prediction.model import train
from kra_pipeline.prediction.registry import SCORE_COLUMNS, register
from kra_pipeline.store.db import dispose_engines, get_engine
from tests.api.conftest import HEADERS_A
from tests.form.history import FIRST_DAY, MEET, copy_store

CUTOFF_DAY = "20250228"


@pytest.fixture
def client(
    make_client: Callable[..., TestClient],
    history_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> TestClient:
    url = copy_store(history_file, tmp_path / "races.sqlite")
    monkeypatch.setenv("KRA_DATABASE_URL", url)
    with make_client() as client:
        yield client
    dispose_engines()


def _train_until(day: str) -> str:
    frame = entrants(FIRST_DAY, day, [MEET], form=True, engine=get_engine())
    scores = pd.DataFrame(columns=list(SCORE_COLUMNS))
    return register(train(frame), [], scores, backtest=False).card.version


def _race_day_after(day: str) -> str:
    with get_engine().connect() as connection:
        rows = connection.exec_driver_sql(
            "select min(race_date) from races where race_date > ?", (day,)
        ).all()
    return rows[0][0]


def test_no_model_is_503_saying_what_to_do(client: TestClient) -> None:
    answer = client.post(
        "/api/v2/predict/", json={"date": "20250302", "meet": MEET}, headers=HEADERS_A
    )
    assert answer.status_code == 503
    assert "materialize race_model" in answer.json()["detail"]
    info = client.get("/api/v2/predict/model-info", headers=HEADERS_A)
    assert info.status_code == 404
    assert "no race model is served" in info.json()["detail"]
    assert "kra model promote" in info.json()["detail"]


def test_predictions_from_a_model_trained_before_the_day(client: TestClient) -> None:
    version = _train_until(CUTOFF_DAY)
    info = client.get("/api/v2/predict/model-info", headers=HEADERS_A).json()
    assert info["version"] == version and info["trained_until"] <= CUTOFF_DAY
    assert "win_odds" not in info["features"] and "path" not in info
    assert info["promotion"]["version"] == version and info["promotion"]["promoted"] is True
    assert info["promotion"]["reason"] == "no model was served" and info["promotion"]["at"]

    day = _race_day_after(CUTOFF_DAY)
    answer = client.post("/api/v2/predict/", json={"date": day, "meet": MEET}, headers=HEADERS_A)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "computed" and body["races"]
    race = body["races"][0]
    assert race["model_version"] == version
    assert sum(e["win_probability"] for e in race["entrants"]) == pytest.approx(1.0, abs=1e-4)
    assert race["top3"] == [e["gate_no"] for e in race["entrants"][:3]]
    one = client.post(
        "/api/v2/predict/", json={"date": day, "meet": MEET, "race_no": race["race_no"]},
        headers=HEADERS_A,
    ).json()  # fmt: skip
    assert [r["race_no"] for r in one["races"]] == [race["race_no"]]

    seen = client.post("/api/v2/predict/", json={"date": info["trained_until"], "meet": MEET},
                       headers=HEADERS_A)  # fmt: skip
    assert seen.status_code == 409
    assert "Train one with a cut-off on or before" in seen.json()["detail"]
    empty = client.post("/api/v2/predict/", json={"date": "20250331", "meet": 1}, headers=HEADERS_A)
    assert empty.status_code == 404
    bad = client.post("/api/v2/predict/", json={"date": day, "meet": True}, headers=HEADERS_A)
    assert bad.status_code == 422
