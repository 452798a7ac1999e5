"""`kra export` writes the frames: Parquet by year and meet reads back equal, CSV per year, and a
schema README listing every column."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from kra_cli.main import main
from kra_pipeline.dataset import entrants
from kra_pipeline.dataset.export import COLUMNS, read_export
from kra_pipeline.store.db import dispose_engines, get_engine
from tests.form.history import simulated_race_days, write_race_days

SPAN = ("20241225", "20250108")


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'races.sqlite'}"
    engine = get_engine(url)
    for meet in (1, 3):
        write_race_days(engine, simulated_race_days(*SPAN, meet=meet))
    yield url
    dispose_engines()


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("KRA_DATABASE_URL", store_url)
    return get_engine(store_url)


def test_parquet_export_reads_back_equal_to_the_frame(store: Engine, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main,
        ["export", "--from", SPAN[0], "--to", SPAN[1], "--format", "parquet", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    folders = sorted(
        p.relative_to(out / "entrants").as_posix() for p in (out / "entrants").glob("*/*")
    )
    assert folders == [
        "year=2024/meet=1",
        "year=2024/meet=3",
        "year=2025/meet=1",
        "year=2025/meet=3",
    ]
    expected = entrants(*SPAN, engine=store, enrichment=True, form=True, market=True)
    pd.testing.assert_frame_equal(read_export(out), expected)
    schema = (out / "README.md").read_text("utf-8")
    for name, kind, unit, _ in COLUMNS:
        assert f"| `{name}` | {kind} | {unit} |" in schema


def test_csv_export_has_a_file_per_year_with_every_column(store: Engine, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--from",
            SPAN[0],
            "--to",
            SPAN[1],
            "--format",
            "csv",
            "--out",
            str(tmp_path),
            "--meet",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "entrants").iterdir())
    assert files == ["entrants-2024.csv", "entrants-2025.csv"]
    frame = pd.concat(pd.read_csv(tmp_path / "entrants" / name, dtype=str) for name in files)
    assert list(frame.columns) == [name for name, *_ in COLUMNS]
    assert set(frame["meet"]) == {"3"}
    assert len(frame) == len(entrants(*SPAN, meets=[3], engine=store))


def test_a_bad_date_is_refused_with_the_form_to_write(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--from", "2025-01-01", "--to", "20250102", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "YYYYMMDD" in result.output
