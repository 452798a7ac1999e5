"""API26_2 entry sheets: the card of a race day as KRA publishes it about two days ahead.

One row per entrant, built from the same world as API214_1, with the quirks the notes report:
Korean meet names with Busan as 부산경남, the post time as Korean text ("출발 :10:45"), `rating`
"-" for an unrated horse, `dusu` the number of entries, and career counters that are the
registry's values at query time (a snapshot, not the form on the race day).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from kra_simulator import names

# Sheets appear this many days before the race day (Wednesday/Thursday for the weekend).
PUBLISHED_DAYS_AHEAD = 2

_CARD_FIELDS = (
    "rcDate", "rcDay", "rcNo", "rcName", "rcDist", "rank", "prizeCond", "ageCond", "budam",
    "ilsu", "chulNo", "hrNo", "hrName", "sex", "age", "wgBudam", "jkNo", "jkName", "trNo",
    "trName", "owNo", "owName", "chaksun1", "chaksun2", "chaksun3", "chaksun4", "chaksun5",
)  # fmt: skip
_CAREER_FIELDS = (
    "rcCntT", "rcCntY", "ord1CntT", "ord1CntY", "ord2CntT", "ord2CntY", "ord3CntT", "ord3CntY",
    "chaksunT",
)  # fmt: skip


def is_published(race_date: dt.date, today: dt.date) -> bool:
    """Whether the sheet of `race_date` is out on `today` (past sheets stay queryable)."""
    return race_date <= today + dt.timedelta(days=PUBLISHED_DAYS_AHEAD)


def post_time_text(scheduled: int) -> str:
    """API72_2's HHMM post time as the entry sheet writes it."""
    return f"출발 :{scheduled // 100:02d}:{scheduled % 100:02d}"


def entry_sheet_items(
    entrants: list[Mapping[str, Any]],
    post_times: Mapping[int, int],
    meet: int,
    horse: Callable[[str], Mapping[str, Any] | None],
) -> list[dict[str, Any]]:
    """The sheet rows of a day's entrants; `horse` gives a horse's registry record now."""
    entries = Counter(item["rcNo"] for item in entrants)
    rows = []
    for item in entrants:
        career = horse(str(item["hrNo"])) or {}
        rows.append(
            {
                "meet": names.REGISTRY_MEET_NAMES[meet],
                **{name: item[name] for name in _CARD_FIELDS if name in item},
                "stTime": post_time_text(post_times.get(item["rcNo"], 0)),
                "dusu": entries[item["rcNo"]],
                "rating": item["rating"] or "-",
                **{name: career.get(name, 0) for name in _CAREER_FIELDS},
            }
        )
    return rows
