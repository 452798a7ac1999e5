"""Every column of the analyst frames: type, unit and meaning (also the export's schema file).

Plain Python (no pandas). Types: `date`, `category`, `string`, `Int64`/`Float64` (nullable where
KRA has gaps), `bool`.
"""

from __future__ import annotations

from kra_pipeline.form.columns import FORM_SCHEMA
from kra_pipeline.races.models import DETAIL_KINDS, RATE_FIELDS

Column = tuple[str, str, str, str]  # name, type, unit, meaning

KEY: tuple[Column, ...] = (
    ("race_date", "date", "", "day of the race (Korean calendar day)"),
    ("meet", "category", "", "racecourse: 1 Seoul, 2 Jeju, 3 Busan-Gyeongnam"),
    ("race_no", "Int64", "", "race number of the day"),
)
RACE: tuple[Column, ...] = (
    ("distance", "Int64", "m", "race distance"),
    ("race_class", "string", "", "class (rank) of the race as KRA names it"),
    ("race_name", "string", "", "race name"),
    ("age_condition", "string", "", "age condition"),
    ("weight_condition", "string", "", "weight condition (handicap, set weights…)"),
    ("prize_condition", "string", "", "prize-money / rating condition"),
    ("track", "string", "", "going and moisture, as announced"),
    ("weather", "string", "", "weather"),
    ("start_time", "string", "", "scheduled post time"),
    ("is_finished", "bool", "", "the race has a result in the store"),
)
# Parsed from `track` when the frame is read (not stored): on every race, whatever its source.
TRACK_PARSED: tuple[Column, ...] = (
    ("track_condition", "string", "", "going, parsed from `track` (null before it is measured)"),
    ("track_moisture", "Int64", "percent", "moisture of the track, parsed from `track`"),
)
CARD: tuple[Column, ...] = (
    ("gate_no", "Int64", "", "gate (saddle) number"),
    ("horse_no", "string", "", "KRA horse id (7 digits)"),
    ("horse_name", "string", "", "horse name"),
    ("jockey_no", "string", "", "KRA jockey id (6 digits)"),
    ("jockey_name", "string", "", "jockey name"),
    ("trainer_no", "string", "", "KRA trainer id (6 digits)"),
    ("trainer_name", "string", "", "trainer name"),
    ("owner_no", "string", "", "KRA owner id"),
    ("owner_name", "string", "", "owner name"),
    ("age", "Int64", "years", "age of the horse"),
    ("sex", "string", "", "sex of the horse"),
    ("carried_weight", "Float64", "kg", "weight carried"),
    ("body_weight", "Int64", "kg", "body weight announced on race day"),
    ("body_weight_change", "Int64", "kg", "KRA's change of body weight since the previous start"),
    ("win_odds", "Float64", "decimal odds", "final win odds (0: scratched)"),
    ("place_odds", "Float64", "decimal odds", "final place odds"),
    ("rating", "Int64", "rating points", "KRA rating on the card"),
    ("is_scratched", "bool", "", "withdrawn before the race (kept, flagged)"),
)
SCRATCH: tuple[Column, ...] = (
    ("scratch_reason", "string", "", "KRA's reason for a scratch (API9_1), once fetched"),
)
RESULT: tuple[Column, ...] = (
    ("finish_position", "Int64", "position", "finishing position (null: not placed or not run)"),
    ("finish_time", "Float64", "s", "race time"),
    ("margin", "string", "", "margin to the horse ahead, as KRA writes it"),
    ("finish_note", "string", "", "KRA's note on the finish"),
)
# Per race and pool (API179_1): WIN, PLC, QNL, EXA, QPL, TLA, TRI, in that order.
_POOL_NAMES = {
    "win": "win",
    "plc": "place",
    "qnl": "quinella",
    "exa": "exacta",
    "qpl": "quinella place",
    "tla": "trio (first three, any order)",
    "tri": "trifecta (first three in order)",
}
_SPLIT = ("plc", "qpl")
MARKET: tuple[Column, ...] = tuple(
    column
    for code, name in _POOL_NAMES.items()
    for column in (
        (f"turnover_{code}", "Int64", "KRW", f"amount bet in the {name} pool (API179_1 `amt`)"),
        (
            f"dividend_{code}",
            "Float64",
            "× stake",
            f"{name} dividend per 1 KRW staked: a 100-KRW ticket returns 100 × this"
            + (
                " (the first paid combination KRA lists; all in paid_" + code + ")"
                if code in _SPLIT
                else ""
            ),
        ),
        (
            f"paid_{code}",
            "string",
            "",
            f"every paid {name} combination as 'gates:dividend' (gates in the pool's order, "
            "space-separated), from KRA's circled gate numbers",
        ),
    )
)
_RATE_UNITS = {"starts": ("Int64", "starts"), "rate": ("Float64", "percent")}
ENRICHMENT: tuple[Column, ...] = (
    (
        "horse_rating",
        "Int64",
        "rating points",
        "SNAPSHOT: the horse registry's rating when fetched",
    ),
    *(
        (
            f"{kind}_{name}",
            *_RATE_UNITS["starts" if name.startswith("starts") else "rate"],
            f"SNAPSHOT of the {kind} registry when fetched, not as of the race: "
            + name.replace("_", " ").replace("total", "career").replace("year", "this year"),
        )
        for kind in DETAIL_KINDS
        for name in RATE_FIELDS
    ),
)
_FORM_TYPES = {"int": "Int64", "float": "Float64", "str": "string"}
FORM: tuple[Column, ...] = tuple(
    (c.name, _FORM_TYPES[c.kind], c.unit, f"point in time: {c.meaning}") for c in FORM_SCHEMA
)


def entrant_columns(
    results: bool, enrichment: bool, form: bool, market: bool = False
) -> tuple[Column, ...]:
    """The columns of `dataset.entrants` with these switches, in frame order."""
    columns = (*KEY, *RACE, *TRACK_PARSED, *CARD, *SCRATCH)
    if results:
        columns += RESULT
    if enrichment:
        columns += ENRICHMENT
    if form:
        columns += FORM
    if market:
        columns += MARKET
    return columns


RACE_COLUMNS: tuple[Column, ...] = (*KEY, *RACE, *TRACK_PARSED, *MARKET)
