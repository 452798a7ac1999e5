"""Typed race-day models built from API214_1 answers, keeping every raw field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field

from kra_pipeline.races.base import KraModel
from kra_pipeline.races.details import (
    CareerCounters,
    HorseDetail,
    JockeyDetail,
    TrainerDetail,
)
from kra_pipeline.races.fields import (
    HORSE_ID_WIDTH,
    PERSON_ID_WIDTH,
    Meet,
    compact_date,
    is_post_race_field,
    is_sectional_field,
    meet_code,
    normalise_id,
    optional_id,
    split_body_weight,
    split_track,
    to_integer,
    to_number,
    to_positive_integer,
    to_text,
)

# API4_3 `ord` values from this one up are not positions but "did not start / finish".
ORD_SENTINEL_MIN = 91
# Odds at or above this are KRA's "no odds" (9999.9), not a price.
NO_ODDS_MIN = 900.0


def _odds(value: Any) -> float | None:
    odds = to_number(value)
    return None if odds is not None and odds >= NO_ODDS_MIN else odds


class RaceConditions(KraModel):
    """What a race is run under: the same on every entrant's row of that race."""

    distance: int | None = None
    race_class: str | None = None
    race_name: str | None = None
    age_condition: str | None = None
    weight_condition: str | None = None
    prize_condition: str | None = None
    track: str | None = None
    weather: str | None = None
    start_time: str | None = None

    @property
    def track_condition(self) -> str | None:
        """The going as KRA words it (건조, 양호, 다습, 포화, 불량), parsed from `track`."""
        return split_track(self.track)[0]

    @property
    def track_moisture(self) -> int | None:
        """Moisture of the track in percent, parsed from `track`; None before it is measured."""
        return split_track(self.track)[1]


RACE_FIELDS: tuple[str, ...] = tuple(RaceConditions.model_fields)


class RaceEntrant(RaceConditions):
    """One horse in one race: a row of API214_1 or API4_3, typed, with the raw item kept whole.

    Both sources give the same model. API4_3 lacks `ordBigo` (so `finish_note` is None) and
    `birthday`, `wgJk`, `hrTool`, `rankRise`, `wgBudamBigo` (kept in `raw` only when sent).
    """

    race_date: str
    meet: int
    race_no: int
    gate_no: int
    horse_no: str
    horse_name: str | None = None
    jockey_no: str | None = None
    jockey_name: str | None = None
    trainer_no: str | None = None
    trainer_name: str | None = None
    owner_no: str | None = None
    owner_name: str | None = None
    age: int | None = None
    sex: str | None = None
    carried_weight: float | None = None
    body_weight: int | None = None
    body_weight_change: int | None = None
    win_odds: float | None = None
    place_odds: float | None = None
    rating: int | None = None
    is_scratched: bool = False
    finish_position: int | None = None
    finish_time: float | None = None
    margin: str | None = None
    finish_note: str | None = None
    sectionals: dict[str, float] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> RaceEntrant:
        """Normalise one API214_1 item; raises ValueError naming the field when it is unusable."""
        race_date = compact_date(item.get("rcDate"))
        if race_date is None:
            raise ValueError(f"entrant without a readable rcDate: {item.get('rcDate')!r}")
        weight, change = split_body_weight(item.get("wgHr"))
        win_odds = _odds(item.get("winOdds"))
        finished = to_positive_integer(item.get("ord"))
        if finished is not None and finished >= ORD_SENTINEL_MIN:
            finished = None  # API4_3 marks non-starters with 91-99 where API214_1 sends 0
        return cls(
            race_date=race_date,
            meet=meet_code(item["meet"]),
            race_no=int(item["rcNo"]),
            gate_no=int(item["chulNo"]),
            horse_no=normalise_id(item["hrNo"], HORSE_ID_WIDTH),
            horse_name=to_text(item.get("hrName")),
            jockey_no=optional_id(item.get("jkNo"), PERSON_ID_WIDTH),
            jockey_name=to_text(item.get("jkName")),
            trainer_no=optional_id(item.get("trNo"), PERSON_ID_WIDTH),
            trainer_name=to_text(item.get("trName")),
            owner_no=optional_id(item.get("owNo"), PERSON_ID_WIDTH),
            owner_name=to_text(item.get("owName")),
            age=to_integer(item.get("age")),
            sex=to_text(item.get("sex")),
            carried_weight=to_number(item.get("wgBudam")),
            body_weight=weight,
            body_weight_change=change,
            win_odds=win_odds,
            place_odds=_odds(item.get("plcOdds")),
            rating=to_positive_integer(item.get("rating")),
            is_scratched=win_odds == 0,
            distance=to_positive_integer(item.get("rcDist")),
            race_class=to_text(item.get("rank")),
            race_name=to_text(item.get("rcName")),
            age_condition=to_text(item.get("ageCond")),
            weight_condition=to_text(item.get("budam")),
            prize_condition=to_text(item.get("prizeCond")),
            track=to_text(item.get("track")),
            weather=to_text(item.get("weather")),
            start_time=to_text(item.get("schStTime") or item.get("stTime")),
            finish_position=finished,
            finish_time=to_number(item.get("rcTime")) or None,
            margin=to_text(item.get("diffUnit")) if finished else None,
            finish_note=to_text(item.get("ordBigo")) if finished else None,
            sectionals={
                name: float(value)
                for name, value in item.items()
                if is_sectional_field(name) and to_number(value) is not None
            },
            raw=dict(item),
        )

    @property
    def has_result(self) -> bool:
        return self.finish_position is not None or self.finish_time is not None

    def pre_race_view(self) -> dict[str, Any]:
        """The race card as the API sent it, with every post-race field removed."""
        return {k: v for k, v in self.raw.items() if not is_post_race_field(k)}

    def post_race_view(self) -> dict[str, Any]:
        """Only the result fields the API sent (finish, time, margin, sectionals)."""
        return {k: v for k, v in self.raw.items() if is_post_race_field(k)}


class Race(RaceConditions):
    """One race of a race day with its field of entrants."""

    race_date: str
    meet: int
    race_no: int
    entrants: list[RaceEntrant] = Field(default_factory=list)

    @property
    def is_finished(self) -> bool:
        return any(entrant.has_result for entrant in self.entrants)

    @property
    def runner_count(self) -> int:
        return sum(1 for entrant in self.entrants if not entrant.is_scratched)


def group_races(entrants: Iterable[RaceEntrant]) -> list[Race]:
    """Entrants grouped into races (sorted by race number, entrants by gate)."""
    by_race: dict[tuple[str, int, int], list[RaceEntrant]] = {}
    for entrant in entrants:
        by_race.setdefault((entrant.race_date, entrant.meet, entrant.race_no), []).append(entrant)
    races = []
    for (race_date, meet, race_no), field in sorted(by_race.items()):
        field.sort(key=lambda entrant: entrant.gate_no)
        first = field[0]
        races.append(
            Race(
                race_date=race_date,
                meet=meet,
                race_no=race_no,
                entrants=field,
                **{name: getattr(first, name) for name in RACE_FIELDS},
            )
        )
    return races


def envelope_items(page: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The items of one decoded JSON envelope: a list whether KRA sent one object or many."""
    body = (page.get("response") or {}).get("body") or {}
    items = body.get("items")
    if not isinstance(items, Mapping):
        return []
    item = items.get("item")
    if item is None:
        return []
    return [dict(entry) for entry in (item if isinstance(item, list) else [item])]


def parse_race_day(pages: Iterable[Mapping[str, Any]]) -> list[RaceEntrant]:
    """Entrants of a stored raw race day (its decoded pages); never calls the API."""
    return [RaceEntrant.from_item(item) for page in pages for item in envelope_items(page)]


RATE_FIELDS = (
    "starts_total",
    "win_rate_total",
    "top2_rate_total",
    "top3_rate_total",
    "starts_year",
    "win_rate_year",
    "top2_rate_year",
    "top3_rate_year",
)
DETAIL_KINDS = ("horse", "jockey", "trainer")


class EnrichedEntrant(KraModel):
    """An entrant joined with its horse, jockey and trainer form (flat, one row per entrant)."""

    race_date: str
    meet: int
    race_no: int
    gate_no: int
    horse_no: str
    jockey_no: str | None = None
    trainer_no: str | None = None
    is_scratched: bool = False
    horse_rating: int | None = None
    horse_starts_total: int | None = None
    horse_win_rate_total: float | None = None
    horse_top2_rate_total: float | None = None
    horse_top3_rate_total: float | None = None
    horse_starts_year: int | None = None
    horse_win_rate_year: float | None = None
    horse_top2_rate_year: float | None = None
    horse_top3_rate_year: float | None = None
    jockey_starts_total: int | None = None
    jockey_win_rate_total: float | None = None
    jockey_top2_rate_total: float | None = None
    jockey_top3_rate_total: float | None = None
    jockey_starts_year: int | None = None
    jockey_win_rate_year: float | None = None
    jockey_top2_rate_year: float | None = None
    jockey_top3_rate_year: float | None = None
    trainer_starts_total: int | None = None
    trainer_win_rate_total: float | None = None
    trainer_top2_rate_total: float | None = None
    trainer_top3_rate_total: float | None = None
    trainer_starts_year: int | None = None
    trainer_win_rate_year: float | None = None
    trainer_top2_rate_year: float | None = None
    trainer_top3_rate_year: float | None = None
    missing_details: list[str] = Field(default_factory=list)

    @classmethod
    def build(
        cls,
        entrant: RaceEntrant,
        horse: HorseDetail | None,
        jockey: JockeyDetail | None,
        trainer: TrainerDetail | None,
    ) -> EnrichedEntrant:
        details: dict[str, CareerCounters | None] = {
            "horse": horse,
            "jockey": jockey,
            "trainer": trainer,
        }
        rates: dict[str, Any] = {}
        for kind, detail in details.items():
            if detail is not None:
                rates.update({f"{kind}_{name}": getattr(detail, name) for name in RATE_FIELDS})
        return cls(
            race_date=entrant.race_date,
            meet=entrant.meet,
            race_no=entrant.race_no,
            gate_no=entrant.gate_no,
            horse_no=entrant.horse_no,
            jockey_no=entrant.jockey_no,
            trainer_no=entrant.trainer_no,
            is_scratched=entrant.is_scratched,
            horse_rating=horse.rating if horse is not None else None,
            missing_details=[kind for kind, detail in details.items() if detail is None],
            **rates,
        )


__all__ = [
    "HORSE_ID_WIDTH",
    "PERSON_ID_WIDTH",
    "RACE_FIELDS",
    "CareerCounters",
    "EnrichedEntrant",
    "HorseDetail",
    "JockeyDetail",
    "Meet",
    "Race",
    "RaceConditions",
    "RaceEntrant",
    "TrainerDetail",
    "compact_date",
    "envelope_items",
    "group_races",
    "is_post_race_field",
    "is_sectional_field",
    "meet_code",
    "normalise_id",
    "parse_race_day",
    "split_body_weight",
]
