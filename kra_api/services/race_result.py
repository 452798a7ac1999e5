"""The result of one race for POST /api/v2/collection/result: the top three and what each pool
paid, read from the race store (collected with results, dividends when fetched)."""

from __future__ import annotations

from typing import Any

from kra_api.services.race_store import races_for_day

PLACES = 3


class RaceNotStored(LookupError):
    """The race is not in the race store: collect its day first."""


class ResultNotYet(LookupError):
    """The race is stored, but without results: it has not run, or was collected before."""


def race_result(race_date: str, meet: int, race_no: int) -> dict[str, Any]:
    """Top three (finishing order, ties share a place) and the dividends of one stored race."""
    races = races_for_day(race_date, meet, [race_no])
    if not races:
        raise RaceNotStored(
            f"race {race_no} of {race_date} meet {meet} is not in the race store: collect the "
            "day first (POST /api/v2/collection with options.get_results=true)"
        )
    race = races[0]
    placed = sorted(
        (e for e in race["entrants"] if _position(e) is not None and _position(e) <= PLACES),
        key=lambda e: (_position(e), e["gate_no"]),
    )
    if not race["is_finished"] or not placed:
        raise ResultNotYet(
            f"race {race_no} of {race_date} meet {meet} has no results stored yet: after the "
            "race, collect the day again (POST /api/v2/collection with options.get_results=true)"
        )
    return {
        "date": race_date,
        "meet": meet,
        "race_no": race_no,
        "top_three": [
            {
                "position": _position(e),
                "gate_no": e["gate_no"],
                "horse_no": e["horse_no"],
                "horse_name": e["horse_name"],
                "jockey_name": e["jockey_name"],
                "finish_time": e["result"]["finish_time"],
                "win_odds": e["win_odds"],
                "place_odds": e["place_odds"],
            }
            for e in placed
        ],
        "dividends": race["dividends"],
    }


def _position(entrant: dict[str, Any]) -> int | None:
    result = entrant.get("result")
    return result.get("finish_position") if result else None
