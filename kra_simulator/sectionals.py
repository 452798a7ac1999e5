"""Sectional times and running positions, in the field families each track reports.

Seoul fills `se*` (accumulated times) and `sj*` (positions), Busan the `bu*` family (times at
furlong poles, split times, positions) and Jeju `je*`; the other families stay 0, exactly as in
the real samples. Each starter runs a pace curve shaped by a running style, scaled so the
accumulated time at the post equals its finish time, so the sectionals agree with `rcTime`.
"""

from __future__ import annotations

import math
from typing import Any

SECTIONAL_FIELDS: tuple[str, ...] = (
    *(f"buG{k}f{kind}" for k in (1, 2, 3, 4, 6, 8) for kind in ("AccTime", "Ord")),
    "buS1fAccTime",
    "buS1fOrd",
    "buS1fTime",
    "bu_10_8fTime",
    "bu_1fGTime",
    "bu_2fGTime",
    "bu_3fGTime",
    "bu_4_2fTime",
    "bu_6_4fTime",
    "bu_8_6fTime",
    "jeG1fTime",
    "jeG3fTime",
    "jeS1fTime",
    *(f"je_{c}cTime" for c in range(1, 5)),
    "seG1fAccTime",
    "seG3fAccTime",
    "seS1fAccTime",
    *(f"se_{c}cAccTime" for c in range(1, 5)),
    "sjG1fOrd",
    "sjG3fOrd",
    "sjS1fOrd",
    *(f"sj_{c}cOrd" for c in range(1, 5)),
)

# metres before the post at which each corner is passed (1st to 4th)
CORNERS_BEFORE_POST: dict[int, int] = {1: 1600, 2: 1300, 3: 800, 4: 500}


def zero_sectionals() -> dict[str, int]:
    """What a card (and a scratched horse) carries: every sectional present and 0."""
    return dict.fromkeys(SECTIONAL_FIELDS, 0)


def _pace_integral(x: float, style: float) -> float:
    """Share of effort spent by fraction `x` of the trip: slow start, cruising, and a style
    term (style > 0 runs on the pace early and tires, style < 0 comes late)."""
    start = 0.03125 * (1 - math.exp(-8 * x))
    cruise = -0.04 * (1 - math.cos(math.pi * x)) / math.pi
    tactic = 0.05 * style * (x * x / 2 - x / 2)
    return x + start + cruise + tactic


def _tenth(value: float) -> float:
    return round(value, 1)


def number(value: float) -> int | float:
    """KRA's serializer: a whole number goes out as an int (3, not 3.0), else one decimal."""
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


class _Trip:
    """Accumulated times of one starter at any distance from the start."""

    def __init__(self, distance: int, finish_time: float, style: float) -> None:
        self.distance = distance
        self.finish_time = finish_time
        self.style = style
        self._scale = finish_time / _pace_integral(1.0, style)

    def at(self, metres: float) -> float:
        """Accumulated time at `metres` from the start (0 at or before the start)."""
        if metres <= 0:
            return 0.0
        if metres >= self.distance:
            return self.finish_time
        return _tenth(self._scale * _pace_integral(metres / self.distance, self.style))


def _positions(trips: list[_Trip], metres: float) -> list[int]:
    """Running order at a point (1 = leading); 0 for every horse when the point is off the trip."""
    if metres <= 0 or metres >= trips[0].distance:
        return [0] * len(trips)
    order = sorted(range(len(trips)), key=lambda i: (trips[i].at(metres), i))
    places = [0] * len(trips)
    for place, index in enumerate(order, start=1):
        places[index] = place
    return places


def sectional_fields(
    meet: int, distance: int, finish_times: list[float], styles: list[float]
) -> list[dict[str, Any]]:
    """Sectional fields for the starters of one race, listed in finishing order."""
    trips = [_Trip(distance, t, s) for t, s in zip(finish_times, styles, strict=True)]
    out = [zero_sectionals() for _ in trips]
    corners = {c: distance - before for c, before in CORNERS_BEFORE_POST.items()}
    if meet == 1:
        points = {"S1f": 200, "G3f": distance - 600, "G1f": distance - 200}
        points |= {f"_{c}c": m for c, m in corners.items()}
        for label, metres in points.items():
            places = _positions(trips, metres)
            for fields, trip, place in zip(out, trips, places, strict=True):
                fields[f"se{label}AccTime"] = number(trip.at(metres)) if place else 0
                fields[f"sj{label}Ord"] = place
    elif meet == 3:
        for k in (1, 2, 3, 4, 6, 8):
            metres = distance - 200 * k
            places = _positions(trips, metres)
            for fields, trip, place in zip(out, trips, places, strict=True):
                fields[f"buG{k}fAccTime"] = number(trip.at(metres)) if place else 0
                fields[f"buG{k}fOrd"] = place
        start_places = _positions(trips, 200)
        for fields, trip, place in zip(out, trips, start_places, strict=True):
            fields["buS1fAccTime"] = fields["buS1fTime"] = number(trip.at(200))
            fields["buS1fOrd"] = place
            for far, near in ((10, 8), (8, 6), (6, 4), (4, 2)):
                begin, end = distance - 200 * far, distance - 200 * near
                if begin >= 0 and end > 0:
                    fields[f"bu_{far}_{near}fTime"] = number(trip.at(end) - trip.at(begin))
            for k in (1, 2, 3):
                fields[f"bu_{k}fGTime"] = number(trip.finish_time - trip.at(distance - 200 * k))
    else:
        for fields, trip in zip(out, trips, strict=True):
            fields["jeS1fTime"] = number(trip.at(200))
            for c, metres in corners.items():
                fields[f"je_{c}cTime"] = number(trip.at(metres)) if metres > 0 else 0
            fields["jeG3fTime"] = number(trip.finish_time - trip.at(distance - 600))
            fields["jeG1fTime"] = number(trip.finish_time - trip.at(distance - 200))
    return out
