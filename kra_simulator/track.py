"""API189_1 Track_1: track condition and weather, one row per race.

Field names are the portal's as the notes give them (no captured answer exists): `track`
(condition), `waterPercent` (moisture, a number), `weather`, `temperature`, `humidityRel`,
`windDirection`, `windSpeed` (m/s), `salinity`. Values agree with API214_1's `track` text and
`weather` of the same race; before a race is run the measurements are "-" and moisture 0.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from kra_simulator import names

WIND_DIRECTIONS = ("북", "북동", "동", "남동", "남", "남서", "서", "북서")
_TRACK_TEXT = re.compile(r"^\s*(?P<condition>[^()]*?)\s*\(\s*(?P<moisture>\d+)\s*%\s*\)\s*$")


def track_items(
    entrants: list[Mapping[str, Any]], meet: int, has_results: bool, seed: str
) -> list[dict[str, Any]]:
    """One row per race of the day's entrants."""
    first_of_race: dict[int, Mapping[str, Any]] = {}
    for item in entrants:
        first_of_race.setdefault(int(item["rcNo"]), item)
    rows = []
    for race_no, item in sorted(first_of_race.items()):
        row: dict[str, Any] = {
            "meet": names.REGISTRY_MEET_NAMES[meet],
            "rcDate": item["rcDate"],
            "rcNo": race_no,
        }
        match = _TRACK_TEXT.match(str(item.get("track", "")))
        if not has_results or match is None or not match["condition"]:
            rows.append({**row, "track": "-", "waterPercent": 0, "weather": "-",
                         "temperature": "-", "humidityRel": "-", "windDirection": "-",
                         "windSpeed": "-", "salinity": "-"})  # fmt: skip
            continue
        day_rng = random.Random(f"{seed}:weather:{item['rcDate']}:{meet}")
        base_temperature, base_humidity = day_rng.uniform(-3, 30), day_rng.randint(30, 85)
        rng = random.Random(f"{seed}:track:{item['rcDate']}:{meet}:{race_no}")
        rows.append(
            {
                **row,
                "track": match["condition"],
                "waterPercent": int(match["moisture"]),
                "weather": item.get("weather", "-"),
                "temperature": round(base_temperature + rng.uniform(-1.5, 1.5), 1),
                "humidityRel": base_humidity + rng.randint(-5, 5),
                "windDirection": rng.choice(WIND_DIRECTIONS),
                "windSpeed": round(rng.uniform(0, 9), 1),
                "salinity": round(rng.uniform(0, 0.3), 2) if meet == 3 else "-",
            }
        )
    return rows
