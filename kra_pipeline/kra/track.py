"""API189_1 Track_1 rows, typed: the track and the weather of each race.

No captured answer exists; the field names are the portal's as the notes list them, with the
two spellings one client reads (`humidity`, `trackCd`) taken as well. "-" is "not measured".
Every row is kept whole in `raw`, so a field mapped wrongly here loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kra_pipeline.races.fields import compact_date, to_number, to_positive_integer, to_text

TRACK_API = "API189_1"  # Track_1


@dataclass(frozen=True)
class TrackReport:
    race_date: str
    race_no: int
    condition: str | None
    moisture: float | None
    weather: str | None
    temperature: float | None
    humidity: float | None
    wind_direction: str | None
    wind_speed: float | None
    raw: dict[str, Any]


def _text(value: Any) -> str | None:
    text = to_text(value)
    return None if text in (None, "-") else text


def parse_track(items: Iterable[Mapping[str, Any]]) -> list[TrackReport]:
    """One report per race (a race sent twice keeps its last row), in race order."""
    reports: dict[tuple[str, int], TrackReport] = {}
    for item in items:
        race_date, race_no = compact_date(item.get("rcDate")), to_positive_integer(item.get("rcNo"))
        if race_date is None or race_no is None:
            raise ValueError(f"a Track_1 row lacks rcDate or rcNo: {dict(item)}")
        condition = _text(item.get("track", item.get("trackCd")))
        moisture = to_number(item.get("waterPercent"))
        reports[(race_date, race_no)] = TrackReport(
            race_date=race_date,
            race_no=race_no,
            condition=condition,
            # 0% beside no condition is the placeholder of a race not yet run, not a dry track.
            moisture=moisture if condition is not None else None,
            weather=_text(item.get("weather")),
            temperature=to_number(item.get("temperature")),
            humidity=to_number(item.get("humidityRel", item.get("humidity"))),
            wind_direction=_text(item.get("windDirection")),
            wind_speed=to_number(item.get("windSpeed")),
            raw=dict(item),
        )
    return [reports[key] for key in sorted(reports)]
