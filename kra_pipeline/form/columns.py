"""The point-in-time form columns: name, type, unit and meaning, in output order.

Plain Python (no pandas) so the store schema, the dataset frames and the export's schema file
all read the one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["int", "float", "str"]

WINDOWS_DAYS = (365, 60)
# Upper bounds (metres, included) of the distance bands; longer races are "long".
DISTANCE_BANDS = ((1200, "sprint"), (1600, "mile"), (2000, "middle"))
LONG_BAND = "long"

_OUTCOMES = {"win": "wins (1st)", "top2": "finishes 1st or 2nd", "top3": "finishes 1st to 3rd"}
_WHO = {
    "horse": "the horse",
    "jockey": "the jockey",
    "trainer": "the trainer",
    "jockey_trainer": "this jockey riding for this trainer",
}


@dataclass(frozen=True)
class FormColumn:
    name: str
    kind: Kind
    unit: str
    meaning: str


def _counted(who: str, outcomes: tuple[str, ...], days: int | None) -> list[FormColumn]:
    suffix = "" if days is None else f"_{days}d"
    span = "before the race date" if days is None else f"in the {days} days before the race date"
    base = f"{_WHO[who]} {span}"
    columns = [FormColumn(f"{who}_starts{suffix}", "int", "starts", f"starts of {base}")]
    columns += [
        FormColumn(f"{who}_{o}s{suffix}", "int", "starts", f"{_OUTCOMES[o]} of {base}")
        for o in outcomes
    ]
    columns += [
        FormColumn(
            f"{who}_{o}_rate{suffix}",
            "float",
            "percent",
            f"{_OUTCOMES[o]} per 100 starts of {base} (null without starts)",
        )
        for o in outcomes
        if o != "top2"
    ]
    return columns


def _columns() -> tuple[FormColumn, ...]:
    horse = ("win", "top2", "top3")
    columns = [
        FormColumn(
            "distance_band", "str", "", "sprint ≤1200 m, mile ≤1600 m, middle ≤2000 m, long"
        ),
        *_counted("horse", horse, None),
        *_counted("horse", horse, 365),
        FormColumn("horse_days_since_last_start", "int", "days", "days since the last start"),
        *(
            FormColumn(
                f"horse_last_position_{n}",
                "int",
                "position",
                f"finishing position {n} start(s) back (null: no such start or not placed)",
            )
            for n in (1, 2, 3)
        ),
        FormColumn("horse_starts_at_band", "int", "starts", "earlier starts at this distance band"),
        FormColumn("horse_wins_at_band", "int", "starts", "earlier wins at this distance band"),
        FormColumn("horse_starts_at_meet", "int", "starts", "earlier starts at this racecourse"),
        FormColumn("horse_wins_at_meet", "int", "starts", "earlier wins at this racecourse"),
        FormColumn("horse_last_body_weight", "int", "kg", "body weight at the last start"),
        FormColumn(
            "horse_body_weight_change_since_last",
            "float",
            "kg",
            "today's body weight minus the body weight at the last start",
        ),
        FormColumn(
            "carried_weight_vs_field",
            "float",
            "kg",
            "carried weight minus the mean carried weight of the race's runners",
        ),
    ]
    for who in ("jockey", "trainer", "jockey_trainer"):
        for days in WINDOWS_DAYS:
            columns += _counted(who, ("win", "top3"), days)
    columns += [
        FormColumn("field_size", "int", "runners", "runners in the race (scratched excluded)"),
        FormColumn(
            "rating_rank", "int", "rank", "rank of the rating among the runners, 1 = highest"
        ),
        FormColumn("rating_vs_field", "float", "rating points", "rating minus the runners' mean"),
    ]
    return tuple(columns)


FORM_SCHEMA = _columns()
FORM_COLUMNS: tuple[str, ...] = tuple(column.name for column in FORM_SCHEMA)
FORM_KINDS: dict[str, Kind] = {column.name: column.kind for column in FORM_SCHEMA}
