"""API4_3 raceResult_3 items: the race ledger, derived from the same race days as API214_1.

The ledger carries the same race and entrant facts as API214_1 minus six fields (`wgJk`,
`hrTool`, `birthday`, `ordBigo`, `rankRise`, `wgBudamBigo`), names Busan `부산경남`, marks
non-starters with an `ord` sentinel (91-99) instead of 0, and lists the races of the next few
days too, every result field a placeholder, as KRA's real answers do.
"""

from __future__ import annotations

import zlib
from typing import Any

from kra_simulator import names
from kra_simulator.sectionals import SECTIONAL_FIELDS

# API214_1 fields the ledger does not have.
MISSING_FIELDS: frozenset[str] = frozenset(
    {"wgJk", "hrTool", "birthday", "ordBigo", "rankRise", "wgBudamBigo"}
)
# `ord` values KRA uses for a horse that did not finish (scratched, excluded, disqualified).
ORD_SENTINELS: tuple[int, ...] = (91, 92, 93, 94, 95, 98, 99)
# How many days ahead the ledger already lists races (with placeholder results).
DAYS_AHEAD = 3
PLACEHOLDERS: dict[str, Any] = {
    "wgHr": "0()",
    "track": " (0%)",
    "weather": "-",
    "ord": 0,
    "winOdds": 0,
    "plcOdds": 0,
    "rcTime": 0,
    "diffUnit": "-",
    "rating": 0,
    **dict.fromkeys(SECTIONAL_FIELDS, 0),
}


def _sentinel(item: dict[str, Any]) -> int:
    """A stable `ord` sentinel for one non-starter (the same every time it is asked)."""
    key = f"{item['rcDate']}:{item['rcNo']}:{item['chulNo']}".encode()
    return ORD_SENTINELS[zlib.crc32(key) % len(ORD_SENTINELS)]


def ledger_item(item: dict[str, Any], *, has_results: bool) -> dict[str, Any]:
    """The API4_3 item of one API214_1 item (a copy; the argument is left alone)."""
    ledger = {k: v for k, v in item.items() if k not in MISSING_FIELDS}
    ledger["meet"] = names.REGISTRY_MEET_NAMES[_meet_of(item)]
    if not has_results:
        ledger.update(PLACEHOLDERS)
    elif item.get("winOdds") == 0:
        ledger["ord"] = _sentinel(item)
    return dict(sorted(ledger.items()))


def _meet_of(item: dict[str, Any]) -> int:
    by_name = {name: meet for meet, name in names.RACE_MEET_NAMES.items()}
    return by_name[item["meet"]]
