"""Typed race-day models built from KRA answers, keeping every raw field.

KRA's JSON is typed by its serializer: ids lose their quotes unless they start with a zero,
dates are integers, meets are Korean names that differ by endpoint. Everything here turns
that into one normal form so rows from different endpoints join.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

HORSE_ID_WIDTH = 7
PERSON_ID_WIDTH = 6


class Meet(IntEnum):
    """The three racecourses, by the code the API filters on."""

    SEOUL = 1
    JEJU = 2
    BUSAN = 3


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
    if text in {"1", "2", "3"}:
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


def _optional_id(value: Any, width: int) -> str | None:
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


def _number(value: Any) -> float | None:
    if value is None or value == "" or value == "-":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _positive_integer(value: Any) -> int | None:
    number = _integer(value)
    return number if number else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


RACE_FIELDS = (
    "distance",
    "race_class",
    "race_name",
    "age_condition",
    "weight_condition",
    "prize_condition",
    "track",
    "weather",
    "start_time",
)


class RaceEntrant(_Model):
    """One horse in one race: a row of API214_1, typed, with the raw item kept whole."""

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
    distance: int | None = None
    race_class: str | None = None
    race_name: str | None = None
    age_condition: str | None = None
    weight_condition: str | None = None
    prize_condition: str | None = None
    track: str | None = None
    weather: str | None = None
    start_time: str | None = None
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
        win_odds = _number(item.get("winOdds"))
        finished = _positive_integer(item.get("ord"))
        return cls(
            race_date=race_date,
            meet=meet_code(item["meet"]),
            race_no=int(item["rcNo"]),
            gate_no=int(item["chulNo"]),
            horse_no=normalise_id(item["hrNo"], HORSE_ID_WIDTH),
            horse_name=_text(item.get("hrName")),
            jockey_no=_optional_id(item.get("jkNo"), PERSON_ID_WIDTH),
            jockey_name=_text(item.get("jkName")),
            trainer_no=_optional_id(item.get("trNo"), PERSON_ID_WIDTH),
            trainer_name=_text(item.get("trName")),
            owner_no=_optional_id(item.get("owNo"), PERSON_ID_WIDTH),
            owner_name=_text(item.get("owName")),
            age=_integer(item.get("age")),
            sex=_text(item.get("sex")),
            carried_weight=_number(item.get("wgBudam")),
            body_weight=weight,
            body_weight_change=change,
            win_odds=win_odds,
            place_odds=_number(item.get("plcOdds")),
            rating=_positive_integer(item.get("rating")),
            is_scratched=win_odds == 0,
            distance=_positive_integer(item.get("rcDist")),
            race_class=_text(item.get("rank")),
            race_name=_text(item.get("rcName")),
            age_condition=_text(item.get("ageCond")),
            weight_condition=_text(item.get("budam")),
            prize_condition=_text(item.get("prizeCond")),
            track=_text(item.get("track")),
            weather=_text(item.get("weather")),
            start_time=_text(item.get("schStTime") or item.get("stTime")),
            finish_position=finished,
            finish_time=_number(item.get("rcTime")) or None,
            margin=_text(item.get("diffUnit")) if finished else None,
            finish_note=_text(item.get("ordBigo")) if finished else None,
            sectionals={
                name: float(value)
                for name, value in item.items()
                if is_sectional_field(name) and _number(value) is not None
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


class Race(_Model):
    """One race of a race day with its field of entrants."""

    race_date: str
    meet: int
    race_no: int
    distance: int | None = None
    race_class: str | None = None
    race_name: str | None = None
    age_condition: str | None = None
    weight_condition: str | None = None
    prize_condition: str | None = None
    track: str | None = None
    weather: str | None = None
    start_time: str | None = None
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


def _rate(numerator: int | None, starts: int | None) -> float | None:
    if not starts or numerator is None:
        return None
    return round(100.0 * numerator / starts, 1)


class CareerCounters(_Model):
    """Start and placing counters KRA keeps for horses, jockeys and trainers (total and year)."""

    starts_total: int | None = None
    wins_total: int | None = None
    seconds_total: int | None = None
    thirds_total: int | None = None
    starts_year: int | None = None
    wins_year: int | None = None
    seconds_year: int | None = None
    thirds_year: int | None = None

    @staticmethod
    def counters_from(item: Mapping[str, Any]) -> dict[str, int | None]:
        return {
            "starts_total": _integer(item.get("rcCntT")),
            "wins_total": _integer(item.get("ord1CntT")),
            "seconds_total": _integer(item.get("ord2CntT")),
            "thirds_total": _integer(item.get("ord3CntT")),
            "starts_year": _integer(item.get("rcCntY")),
            "wins_year": _integer(item.get("ord1CntY")),
            "seconds_year": _integer(item.get("ord2CntY")),
            "thirds_year": _integer(item.get("ord3CntY")),
        }

    def _placed(self, period: str, places: int) -> int | None:
        counts = [getattr(self, f"{name}_{period}") for name in ("wins", "seconds", "thirds")]
        chosen = counts[:places]
        return None if any(count is None for count in chosen) else sum(chosen)

    @property
    def win_rate_total(self) -> float | None:
        return _rate(self._placed("total", 1), self.starts_total)

    @property
    def top2_rate_total(self) -> float | None:
        return _rate(self._placed("total", 2), self.starts_total)

    @property
    def top3_rate_total(self) -> float | None:
        return _rate(self._placed("total", 3), self.starts_total)

    @property
    def win_rate_year(self) -> float | None:
        return _rate(self._placed("year", 1), self.starts_year)

    @property
    def top2_rate_year(self) -> float | None:
        return _rate(self._placed("year", 2), self.starts_year)

    @property
    def top3_rate_year(self) -> float | None:
        return _rate(self._placed("year", 3), self.starts_year)


def _optional_meet(value: Any) -> int | None:
    try:
        return meet_code(value) if value is not None else None
    except ValueError:
        return None


class HorseDetail(CareerCounters):
    """A horse from the API8_2 registry."""

    horse_no: str
    horse_name: str | None = None
    meet: int | None = None
    sex: str | None = None
    birthday: str | None = None
    rank: str | None = None
    rating: int | None = None
    sire_no: str | None = None
    sire_name: str | None = None
    dam_no: str | None = None
    dam_name: str | None = None
    owner_no: str | None = None
    trainer_no: str | None = None
    prize_total: int | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> HorseDetail:
        return cls(
            horse_no=normalise_id(item["hrNo"], HORSE_ID_WIDTH),
            horse_name=_text(item.get("hrName")),
            meet=_optional_meet(item.get("meet")),
            sex=_text(item.get("sex")),
            birthday=compact_date(item.get("birthday")),
            rank=_text(item.get("rank")),
            rating=_positive_integer(item.get("rating")),
            sire_no=_optional_id(item.get("faHrNo"), HORSE_ID_WIDTH),
            sire_name=_text(item.get("faHrName")),
            dam_no=_optional_id(item.get("moHrNo"), HORSE_ID_WIDTH),
            dam_name=_text(item.get("moHrName")),
            owner_no=_optional_id(item.get("owNo"), PERSON_ID_WIDTH),
            trainer_no=_optional_id(item.get("trNo"), PERSON_ID_WIDTH),
            prize_total=_integer(item.get("chaksunT")),
            raw=dict(item),
            **cls.counters_from(item),
        )


class JockeyDetail(CareerCounters):
    """A jockey from the API12_1 registry (KRA sends no rates: they are derived)."""

    jockey_no: str
    jockey_name: str | None = None
    meet: int | None = None
    birthday: str | None = None
    debut: str | None = None
    part: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> JockeyDetail:
        return cls(
            jockey_no=normalise_id(item["jkNo"], PERSON_ID_WIDTH),
            jockey_name=_text(item.get("jkName")),
            meet=_optional_meet(item.get("meet")),
            birthday=compact_date(item.get("birthday")),
            debut=compact_date(item.get("debut")),
            part=_text(item.get("part")),
            raw=dict(item),
            **cls.counters_from(item),
        )


class TrainerDetail(CareerCounters):
    """A trainer from the API19_1 registry; KRA's integer rates stay in `raw`."""

    trainer_no: str
    trainer_name: str | None = None
    meet: int | None = None
    start_date: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> TrainerDetail:
        return cls(
            trainer_no=normalise_id(item["trNo"], PERSON_ID_WIDTH),
            trainer_name=_text(item.get("trName")),
            meet=_optional_meet(item.get("meet")),
            start_date=compact_date(item.get("stDate")),
            raw=dict(item),
            **cls.counters_from(item),
        )


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


class EnrichedEntrant(_Model):
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
