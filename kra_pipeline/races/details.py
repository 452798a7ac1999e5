"""Registry details of horses, jockeys and trainers, and the flat enriched entrant row.

KRA sends start and placing counters but (except for trainers) no rates: the rates here are
derived from the counters the same way for all three, in percent with one decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from kra_pipeline.races.base import KraModel
from kra_pipeline.races.fields import (
    HORSE_ID_WIDTH,
    PERSON_ID_WIDTH,
    compact_date,
    meet_code,
    normalise_id,
    optional_id,
    to_integer,
    to_positive_integer,
    to_text,
)


def _rate(numerator: int | None, starts: int | None) -> float | None:
    if not starts or numerator is None:
        return None
    return round(100.0 * numerator / starts, 1)


class CareerCounters(KraModel):
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
            "starts_total": to_integer(item.get("rcCntT")),
            "wins_total": to_integer(item.get("ord1CntT")),
            "seconds_total": to_integer(item.get("ord2CntT")),
            "thirds_total": to_integer(item.get("ord3CntT")),
            "starts_year": to_integer(item.get("rcCntY")),
            "wins_year": to_integer(item.get("ord1CntY")),
            "seconds_year": to_integer(item.get("ord2CntY")),
            "thirds_year": to_integer(item.get("ord3CntY")),
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
            horse_name=to_text(item.get("hrName")),
            meet=_optional_meet(item.get("meet")),
            sex=to_text(item.get("sex")),
            birthday=compact_date(item.get("birthday")),
            rank=to_text(item.get("rank")),
            rating=to_positive_integer(item.get("rating")),
            sire_no=optional_id(item.get("faHrNo"), HORSE_ID_WIDTH),
            sire_name=to_text(item.get("faHrName")),
            dam_no=optional_id(item.get("moHrNo"), HORSE_ID_WIDTH),
            dam_name=to_text(item.get("moHrName")),
            owner_no=optional_id(item.get("owNo"), PERSON_ID_WIDTH),
            trainer_no=optional_id(item.get("trNo"), PERSON_ID_WIDTH),
            prize_total=to_integer(item.get("chaksunT")),
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
            jockey_name=to_text(item.get("jkName")),
            meet=_optional_meet(item.get("meet")),
            birthday=compact_date(item.get("birthday")),
            debut=compact_date(item.get("debut")),
            part=to_text(item.get("part")),
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
            trainer_name=to_text(item.get("trName")),
            meet=_optional_meet(item.get("meet")),
            start_date=compact_date(item.get("stDate")),
            raw=dict(item),
            **cls.counters_from(item),
        )
