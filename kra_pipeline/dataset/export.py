"""Export the entrant frames to Parquet (partitioned by year and meet) or CSV, with a schema
README beside the data; `read_export` reads a Parquet export back to the same typed frame."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from kra_pipeline.dataset.frames import iter_entrants, typed
from kra_pipeline.dataset.schema import entrant_columns

Format = Literal["parquet", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "csv")
ENTRANTS_DIR = "entrants"
SCHEMA_FILE = "README.md"
YEAR = "year"
# results, registry snapshots, form and the race's market: everything an analyst may want
COLUMNS = entrant_columns(results=True, enrichment=True, form=True, market=True)

Progress = Callable[[str, int], None]  # (year just written, its entrant rows)


@dataclass(frozen=True)
class ExportSummary:
    out_dir: Path
    rows: int
    years: list[str]


def export_entrants(
    out_dir: Path,
    date_from: str,
    date_to: str,
    fmt: Format = "parquet",
    meets: Iterable[int] | None = None,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the entrants of the range under `out_dir/entrants/` and the schema README.

    Replaces an earlier export in the same folder, so files of a narrower range never mix in.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    target = Path(out_dir) / ENTRANTS_DIR
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    rows, years = 0, []
    chunks = iter_entrants(
        date_from,
        date_to,
        meets,
        results=True,
        enrichment=True,
        form=True,
        market=True,
        engine=engine,
    )
    for frame in chunks:
        year = str(frame["race_date"].dt.year.iloc[0])
        if fmt == "parquet":
            _write_parquet(frame, target, year)
        else:
            frame.to_csv(target / f"entrants-{year}.csv", index=False, date_format="%Y-%m-%d")
        rows += len(frame)
        years.append(year)
        if progress is not None:
            progress(year, len(frame))
    (Path(out_dir) / SCHEMA_FILE).write_text(schema_readme(fmt, date_from, date_to), "utf-8")
    return ExportSummary(Path(out_dir), rows, years)


def read_export(out_dir: Path) -> pd.DataFrame:
    """A Parquet export read back as the typed frame `dataset.entrants` gives."""
    table = pq.read_table(Path(out_dir) / ENTRANTS_DIR, partitioning="hive")
    frame = table.to_pandas()
    frame = frame.sort_values(["race_date", "meet", "race_no", "gate_no"], kind="stable")
    return typed(frame.astype({"meet": "string"}), COLUMNS)


def _write_parquet(frame: pd.DataFrame, target: Path, year: str) -> None:
    table = pa.Table.from_pandas(frame.assign(**{YEAR: year}), preserve_index=False)
    pq.write_to_dataset(
        table,
        target,
        partition_cols=[YEAR, "meet"],
        basename_template=f"part-{year}-{{i}}.parquet",
        existing_data_behavior="overwrite_or_ignore",
    )


def schema_readme(fmt: Format, date_from: str, date_to: str) -> str:
    """The schema file: how the data is laid out, and every column with type, unit, meaning."""
    layout = (
        "`entrants/year=YYYY/meet=N/*.parquet` (hive partitions; `year` and `meet` are the "
        "folder names). Read it with `pandas.read_parquet('entrants')`, or "
        "`kra_pipeline.dataset.export.read_export(DIR)` for the typed frame."
        if fmt == "parquet"
        else "`entrants/entrants-YYYY.csv`, one file per year, dates as YYYY-MM-DD, empty = null."
    )
    lines = [
        "# KRA entrants export",
        "",
        f"Races from {date_from} to {date_to}, one row per entrant (scratched entrants included,",
        "`is_scratched` true). Layout: " + layout,
        "",
        "Columns marked *point in time* are computed from the store's own results strictly before",
        "the race date (never later data). Columns marked SNAPSHOT are KRA's registry counters as",
        "fetched, i.e. today's values: do not use them as features of past races.",
        "`turnover_*`, `dividend_*` and `paid_*` are the race's pools after the race (API179_1):",
        "known only once it is run, never a pre-race feature; null until its month's sales are",
        "stored. Days of KRA's test records (grids without sales or results) are left out.",
        "",
        "| column | type | unit | meaning |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{name}` | {kind} | {unit} | {meaning} |" for name, kind, unit, meaning in COLUMNS
    ]
    return "\n".join(lines) + "\n"
