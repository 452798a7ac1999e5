"""Field-level normalisation of KRA values: ids, meets, dates, weights, result fields.

KRA's JSON is typed by its serializer: ids lose their quotes unless they start with a zero,
dates are integers, meets are Korean names that differ by endpoint. These functions turn
every such value into one normal form so rows from different endpoints join.
"""

from __future__ import annotations

import re
from typing import Any

from kra_pipeline.contract import (
    MEET_CODES,
    Meet,
)

HORSE_ID_WIDTH = 7
PERSON_ID_WIDTH = 6


_MEET_NAMES: dict[str, Meet] = {
    "서울": Meet.SEOUL,
    "제주": Meet.JEJU,
    "부경": Meet.BUSAN,
    "부산경남": Meet.BUSAN,
    "부산": Meet.BUSAN,
}


def meet_code(value: str | int) -> int:
    """1, 2 or 3 from a code or any of the Korean names the endpoints use."""
    text = str(value).strip()
    if text in _MEET_NAMES:
        return int(_MEET_NAMES[text])
    if text in {str(code) for code in MEET_CODES}:
        return int(text)
    raise ValueError(f"unknown meet {value!r}: expected 1, 2, 3 or one of {sorted(_MEET_NAMES)}")


def normalise_id(value: Any, width: int) -> str:
    """A zero-padded id string, whether KRA sent `1412309` or `"0047250"`."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"missing id: {value!r}")
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    text = text.strip()
    if not text.isdigit():
        raise ValueError(f"id {value!r} is not numeric")
    return text.zfill(width)


def optional_id(value: Any, width: int) -> str | None:
    try:
        return normalise_id(value, width)
    except ValueError:
        return None


_POST_RACE_EXACT = frozenset({"ord", "ordBigo", "rankRise", "diffUnit", "rcTime"})
_SECTIONAL = re.compile(r"^(bu|se|sj|je)_?[A-Za-z0-9_]*(Ord|AccTime|Time)$")


def is_post_race_field(name: str) -> bool:
    """True for result fields, which must never appear in a pre-race view (by pattern)."""
    return name in _POST_RACE_EXACT or _SECTIONAL.match(name) is not None


def is_sectional_field(name: str) -> bool:
    return _SECTIONAL.match(name) is not None


_BODY_WEIGHT = re.compile(r"^\s*(\d+)\s*(?:\(\s*([+-]?\d+)\s*\))?\s*$")


def split_body_weight(value: Any) -> tuple[int | None, int | None]:
    """`"511(+2)"` → `(511, 2)`; anything unreadable → `(None, None)`."""
    match = _BODY_WEIGHT.match(str(value)) if value is not None else None
    if match is None:
        return None, None
    change = match.group(2)
    return int(match.group(1)), int(change) if change is not None else None


def compact_date(value: Any) -> str | None:
    """`20250608`, `"2025-06-08"` or an ISO timestamp → `"20250608"`; `"-"` → None."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", str(value))[:8]
    return digits if len(digits) == 8 else None


def to_number(value: Any) -> float | None:
    if value is None or value == "" or value == "-":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_integer(value: Any) -> int | None:
    number = to_number(value)
    return int(number) if number is not None else None


def to_positive_integer(value: Any) -> int | None:
    number = to_integer(value)
    return number if number else None


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_TRACK_TEXT = re.compile(r"^\s*(?P<condition>[^()]*?)\s*(?:\(\s*(?P<moisture>\d+)\s*%\s*\))?\s*$")


def split_track(value: Any) -> tuple[str | None, int | None]:
    """Condition and moisture percent out of API214_1's `track`, e.g. "건조 (2%)" → ("건조", 2).

    The pre-race placeholder " (0%)" gives (None, None): 0% with no condition is "not yet
    measured", not a bone-dry track.
    """
    match = _TRACK_TEXT.match(str(value)) if value is not None else None
    if match is None:
        return None, None
    condition = match["condition"] or None
    if condition is None or condition == "-":
        return None, None
    moisture = match["moisture"]
    return condition, int(moisture) if moisture is not None else None
