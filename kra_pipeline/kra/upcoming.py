"""API26_2 entry-sheet rows, typed: the card of a race day before it is run.

KRA writes the post time as Korean text ("출발 :10:45", also "출발 : 10: 45" or "10:45"), an
unrated horse's rating as "-", and the career counters (`rcCntT`, `ord1CntT`…) as the registry
holds them on the day of the query: they are kept whole in `raw` as a snapshot, never as form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kra_pipeline.races.fields import (
    HORSE_ID_WIDTH,
    PERSON_ID_WIDTH,
    compact_date,
    optional_id,
    to_integer,
    to_number,
    to_positive_integer,
    to_text,
)

ENTRY_SHEET_API = "API26_2"  # entrySheet_2
_POST_TIME = re.compile(r"(\d{1,2})\s*:\s*(\d{2})")


def post_time(value: Any) -> str | None:
    """HH:MM out of the sheet's post-time text; None when there is none."""
    match = _POST_TIME.search(str(value)) if value is not None else None
    return f"{int(match[1]):02d}:{match[2]}" if match else None


@dataclass(frozen=True)
class EntrySheetRow:
    """One entrant of an upcoming race as the entry sheet lists it."""

    race_date: str
    race_no: int
    gate_no: int
    horse_no: str | None
    horse_name: str | None
    jockey_no: str | None
    jockey_name: str | None
    trainer_no: str | None
    trainer_name: str | None
    distance: int | None
    carried_weight: float | None
    rating: int | None
    post_time: str | None
    raw: dict[str, Any]


def parse_entry_sheet(items: Iterable[Mapping[str, Any]]) -> list[EntrySheetRow]:
    """The rows in race and gate order; a row without a date, race or gate is refused."""
    rows = []
    for item in items:
        race_date = compact_date(item.get("rcDate"))
        race_no, gate_no = to_positive_integer(item.get("rcNo")), to_integer(item.get("chulNo"))
        if race_date is None or race_no is None or gate_no is None:
            raise ValueError(f"an entry-sheet row lacks rcDate, rcNo or chulNo: {dict(item)}")
        rows.append(
            EntrySheetRow(
                race_date=race_date,
                race_no=race_no,
                gate_no=gate_no,
                horse_no=optional_id(item.get("hrNo"), HORSE_ID_WIDTH),
                horse_name=to_text(item.get("hrName")),
                jockey_no=optional_id(item.get("jkNo"), PERSON_ID_WIDTH),
                jockey_name=to_text(item.get("jkName")),
                trainer_no=optional_id(item.get("trNo"), PERSON_ID_WIDTH),
                trainer_name=to_text(item.get("trName")),
                distance=to_positive_integer(item.get("rcDist")),
                carried_weight=to_number(item.get("wgBudam")),
                rating=to_integer(item.get("rating")),
                post_time=post_time(item.get("stTime")),
                raw=dict(item),
            )
        )
    return sorted(rows, key=lambda row: (row.race_no, row.gate_no))
