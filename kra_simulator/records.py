"""Registry records as KRA sends them: API8_2 horses, API12_1 jockeys, API19_1 trainers.

Keys go out in plain code-point order and ids typed like KRA's serializer, as in the samples.
"""

from __future__ import annotations

from typing import Any

from kra_simulator import names
from kra_simulator.registry import Horse, Person, wire_id


def horse_record(horse: Horse) -> dict[str, Any]:
    """An API8_2 raceHorseInfo_2 item."""
    return _keyed_like_kra(
        {
            "birthday": horse.birthday,
            "chaksunT": horse.prize_total,
            "faHrName": horse.sire[1],
            "faHrNo": wire_id(horse.sire[0]),
            "hrLastAmt": horse.price,
            "hrName": horse.name,
            "hrNo": wire_id(horse.number),
            "meet": names.REGISTRY_MEET_NAMES[horse.meet],
            "moHrName": horse.dam[1],
            "moHrNo": wire_id(horse.dam[0]),
            "name": horse.country,
            **horse.career.counters(),
            "owName": horse.owner[1],
            "owNo": wire_id(horse.owner[0]),
            "rank": horse.grade,
            "rating": horse.rating,
            "sex": horse.sex,
            "trName": horse.trainer.name,
            "trNo": wire_id(horse.trainer.number),
        }
    )


def jockey_record(jockey: Person, today: int) -> dict[str, Any]:
    """An API12_1 jockeyInfo_1 item: no rates, the client computes them."""
    return _keyed_like_kra(
        {
            "age": today // 10000 - jockey.birthday // 10000,
            "birthday": jockey.birthday,
            "debut": jockey.since,
            "jkName": jockey.name,
            "jkNo": wire_id(jockey.number),
            "meet": names.REGISTRY_MEET_NAMES[jockey.meet],
            **jockey.career.counters(),
            "part": jockey.part,
            "spDate": "-",
            "wgOther": jockey.weight,
            "wgPart": jockey.weight,
        }
    )


def _keyed_like_kra(record: dict[str, Any]) -> dict[str, Any]:
    """KRA sends every record with its keys in plain code-point order."""
    return dict(sorted(record.items()))


def _rate(count: int, starts: int) -> int:
    """KRA's trainer rates are integer percents, truncated."""
    return count * 100 // starts if starts else 0


def trainer_record(trainer: Person) -> dict[str, Any]:
    """An API19_1 trainerInfo_1 item, with KRA's own integer win/top-2/top-3 rates."""
    c = trainer.career
    return _keyed_like_kra(
        {
            "age": "-",
            "birthday": "-",
            "meet": names.REGISTRY_MEET_NAMES[trainer.meet],
            **c.counters(),
            "part": trainer.part,
            "plcRateT": _rate(c.wins_total + c.seconds_total + c.thirds_total, c.starts_total),
            "plcRateY": _rate(c.wins_year + c.seconds_year + c.thirds_year, c.starts_year),
            "qnlRateT": _rate(c.wins_total + c.seconds_total, c.starts_total),
            "qnlRateY": _rate(c.wins_year + c.seconds_year, c.starts_year),
            "stDate": trainer.since,
            "trName": trainer.name,
            "trNo": wire_id(trainer.number),
            "winRateT": _rate(c.wins_total, c.starts_total),
            "winRateY": _rate(c.wins_year, c.starts_year),
        }
    )
