"""One race day of the simulated world: the calendar, the races, the entrants and the results.

Everything is drawn from RNGs seeded by (seed, date, meet[, race]), so any day costs the same
to build and a race's card is identical before and after its result exists: the result comes
from its own RNG and is only added for days strictly before the world's `today`. Horses are
classed into races by their rating; a runner's chance comes from its hidden strength on the day
(ability.py), the final odds from the crowd's blurred view of it (market.win_odds).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from kra_simulator import ability, names
from kra_simulator.market import win_odds
from kra_simulator.registry import RATING_BASE, RATING_POINTS, Horse, Person, Registry, wire_id
from kra_simulator.sectionals import number, sectional_fields, zero_sectionals

RACE_WEEKDAYS: dict[int, tuple[int, ...]] = {1: (5, 6), 2: (4, 5), 3: (4, 6)}  # Mon=0
RACES_PER_DAY: dict[int, tuple[int, int]] = {1: (10, 12), 2: (8, 10), 3: (7, 9)}
FIELD_SIZE = (7, 14)
SCRATCH_SHARE = 0.03
# how far from its rating's class a horse may run (rating points): most run in their class,
# a few are far out of it (a drop in class, a step up, a class with too few runners)
CLASS_MIX = 2.0
OUT_OF_CLASS = (0.1, 12.0)  # share of runners out of their class, and their spread
DISTANCES: dict[int, tuple[int, ...]] = {
    1: (1000, 1200, 1200, 1300, 1400, 1600, 1800, 2000),
    2: (800, 900, 1000, 1000, 1200, 1400),
    3: (1000, 1200, 1200, 1300, 1400, 1600, 1800, 2000),
}
# first post (hour, minute) and minutes between races
POST_TIMES: dict[int, tuple[int, int, int]] = {1: (10, 35, 35), 2: (11, 0, 40), 3: (10, 0, 45)}
METRES_PER_SECOND: dict[int, float] = {1: 16.2, 2: 14.6, 3: 16.0}
SECONDS_PER_LENGTH = 0.17
GRADES = ("국6등급", "국5등급", "국4등급", "국3등급", "2등급", "1등급")
FIRST_PRIZE = (16_500_000, 22_000_000, 30_000_000, 38_000_000, 50_000_000, 70_000_000)
PRIZE_SHARES = (1.0, 0.4, 0.2545, 0.0909, 0.0727)
MARGINS: tuple[tuple[str | int, float], ...] = (
    ("코", 0.05),
    ("머리", 0.1),
    ("목", 0.25),
    ("½", 0.5),
    ("¾", 0.75),
    (1, 1.0),
    ("1¼", 1.25),
    ("1½", 1.5),
    ("1¾", 1.75),
    (2, 2.0),
    ("2½", 2.5),
    (3, 3.0),
    (4, 4.0),
    (5, 5.0),
    (7, 7.0),
    ("대", 12.0),
)
MARGIN_WEIGHTS = (3, 4, 6, 12, 10, 10, 6, 7, 5, 6, 4, 4, 3, 2, 1, 1)
TRACKS = ("건조", "양호", "다습", "포화", "불량")


def to_date(race_date: str | int) -> dt.date:
    return dt.datetime.strptime(str(race_date), "%Y%m%d").date()


def races_on(meet: int, day: dt.date) -> bool:
    return day.weekday() in RACE_WEEKDAYS[meet]


@dataclass(frozen=True)
class Race:
    """Race-level facts shared by every entrant and by the race plan."""

    race_no: int
    distance: int
    grade: str
    name: str
    age_condition: str
    weight_condition: str
    prize_condition: str
    prizes: tuple[int, ...]
    post_time: int  # HHMM

    def fields(self) -> dict[str, Any]:
        return {
            "ageCond": self.age_condition,
            "budam": self.weight_condition,
            **{f"chaksun{i}": prize for i, prize in enumerate(self.prizes, start=1)},
            "prizeCond": self.prize_condition,
            "rank": self.grade,
            "rcDist": self.distance,
            "rcName": self.name,
            "rcNo": self.race_no,
        }


@dataclass
class RaceDay:
    """The built day: plan items (API72_2) and entrant items (API214_1), wire-shaped."""

    plan: list[dict[str, Any]]
    entrants: list[dict[str, Any]]


def _race(rng: random.Random, meet: int, race_no: int, races: int, class_level: int) -> Race:
    hour, minute, gap = POST_TIMES[meet]
    start = hour * 60 + minute + (race_no - 1) * gap
    feature = race_no == races and rng.random() < 0.3
    first = FIRST_PRIZE[class_level] * (2 if feature else 1)
    return Race(
        race_no=race_no,
        distance=rng.choice(DISTANCES[meet]),
        grade=GRADES[class_level],
        name=f"{names.horse_name(rng)}배" if feature else "일반",
        age_condition=rng.choice(("연령오픈", "연령오픈", "3세이상", "2세", "3세")),
        weight_condition=rng.choice(("별정A", "별정A", "마령", "핸디캡", "별정B")),
        prize_condition="R0~0" if class_level < 2 else f"R0~{20 + class_level * 15}",
        prizes=tuple(int(round(first * share, -5)) for share in PRIZE_SHARES),
        post_time=(start // 60) * 100 + start % 60,
    )


def _body_weight(rng: random.Random, horse: Horse) -> str:
    weight = rng.randint(420, 540)
    if horse.career.starts_total == 0 or rng.random() < 0.05:
        return f"{weight}()"
    change = rng.randint(-15, 15)
    return f"{weight}({change:+d})" if change else f"{weight}(0)"


def _entrant(
    rng: random.Random,
    race: Race,
    race_date: int,
    meet: int,
    runner: tuple[Horse, int, float],
    jockey: Person,
    gate: int,
) -> dict[str, Any]:
    """The pre-race part of an API214_1 item for one horse (`runner`: horse, card rating,
    mean card rating of the field)."""
    horse, rating, mean_rating = runner
    transfer = rng.random() < 0.02
    return {
        "age": race_date // 10000 - horse.cohort,
        "birthday": horse.birthday,
        "buga1": 0,
        "buga2": 0,
        "buga3": 0,
        "chulNo": gate,
        "hrName": f"[부]{horse.name}" if transfer else horse.name,
        "hrNo": wire_id(horse.number),
        "hrTool": names.gear(rng),
        "jkName": jockey.name,
        "jkNo": wire_id(jockey.number),
        "meet": names.RACE_MEET_NAMES[meet],
        "name": horse.country,
        "owName": horse.owner[1],
        "owNo": wire_id(horse.owner[0]),
        "rating": rating,
        "sex": horse.sex,
        "trName": horse.trainer.name,
        "trNo": wire_id(horse.trainer.number),
        "wgBudam": number(ability.carried_weight(rng, race.weight_condition, rating, mean_rating)),
        "wgBudamBigo": "-",
        "wgHr": _body_weight(rng, horse),
        "wgJk": rng.choice((0, 0, 0, 0, 0, 0, 0, -1, -2, -3)),
    }


def _meeting_day_number(meet: int, day: dt.date) -> int:
    """`ilsu`: how many days this meet has raced so far this year, the given day included."""
    first = dt.date(day.year, 1, 1)
    return sum(
        races_on(meet, first + dt.timedelta(days=offset))
        for offset in range((day - first).days + 1)
    )


def _pre_race_result() -> dict[str, Any]:
    return {"diffUnit": "-", "ord": 0, "ordBigo": "-", "rankRise": 0, "rcTime": 0}


def _run_race(
    rng: random.Random, meet: int, race: Race, runners: list[tuple[dict[str, Any], float]]
) -> None:
    """Fill in finishing order, times, margins and sectionals for the starters of one race:
    each runner's strength plus Gumbel luck, so it wins with chance softmax(strengths)."""

    def luck() -> float:
        return -math.log(-math.log(rng.random() or 1e-12))

    form = sorted(runners, key=lambda r: r[1] + luck(), reverse=True)
    winner_time = race.distance / METRES_PER_SECOND[meet] * rng.uniform(0.985, 1.02)
    elapsed = winner_time
    finish_times: list[float] = []
    for position, (item, _) in enumerate(form, start=1):
        if position == 1:
            margin: str | int = "-"
        else:
            margin, lengths = rng.choices(MARGINS, MARGIN_WEIGHTS)[0]
            elapsed += lengths * SECONDS_PER_LENGTH
        item.update(diffUnit=margin, ord=position, ordBigo="-", rankRise=0, rcTime=number(elapsed))
        finish_times.append(round(elapsed, 1))
    styles = [rng.uniform(-1, 1) for _ in form]
    fields = sectional_fields(meet, race.distance, finish_times, styles)
    for (item, _), sectionals in zip(form, fields, strict=True):
        item.update(sectionals)


def build_race_day(registry: Registry, meet: int, race_date: int, today: int) -> RaceDay:
    """Plan and entrants of one (date, meet); empty when the meet does not race that day."""
    day = to_date(race_date)
    if not races_on(meet, day):
        return RaceDay(plan=[], entrants=[])
    seed = registry.seed
    rng = random.Random(f"{seed}:day:{race_date}:{meet}")
    races = rng.randint(*RACES_PER_DAY[meet])
    sizes = [rng.randint(*FIELD_SIZE) for _ in range(races)]
    pool = rng.sample(registry.active_horses(meet, day.year), sum(sizes))
    # classes by the handicappers' rating, loosely; lower classes run first
    assessed = {h.number: ability.assessed_rating(seed, h, day) for h in pool}
    share, spread = OUT_OF_CLASS
    pool.sort(
        key=lambda h: (
            assessed[h.number] + rng.gauss(0, spread if rng.random() < share else CLASS_MIX)
        )
    )
    moisture = rng.randint(1, 20)
    day_fields = {
        "ilsu": _meeting_day_number(meet, day),
        "rcDate": race_date,
        "rcDay": names.WEEKDAY_NAMES[day.weekday()],
        "track": f"{TRACKS[min(4, moisture // 5)]} ({moisture}%)",
        "weather": rng.choice(
            ("맑음", "맑음", "흐림", "흐림", "비")
            if day.month in range(4, 11)
            else ("맑음", "흐림", "눈")
        ),
    }
    plan: list[dict[str, Any]] = []
    entrants: list[dict[str, Any]] = []
    for race_no, size in enumerate(sizes, start=1):
        horses, pool = pool[:size], pool[size:]
        mean_rating = sum(assessed[h.number] for h in horses) / size
        level = min(5, max(0, int((mean_rating - RATING_BASE) / RATING_POINTS * 7)))
        race_rng = random.Random(f"{seed}:race:{race_date}:{meet}:{race_no}")
        race = _race(race_rng, meet, race_no, races, level)
        plan.append(
            dict(
                sorted(
                    {
                        **race.fields(),
                        "meet": names.PLAN_MEET_NAMES[meet],
                        "rcDate": race_date,
                        "rcDay": day_fields["rcDay"],
                        "schStTime": race.post_time,
                    }.items()
                )
            )
        )
        runners = [(h, ability.card_rating(h, assessed[h.number]), mean_rating) for h in horses]
        entrants.extend(_race_entrants(race_rng, meet, race, runners, registry, day_fields, today))
    return RaceDay(plan=plan, entrants=entrants)


def _race_entrants(
    rng: random.Random,
    meet: int,
    race: Race,
    runners: list[tuple[Horse, int, float]],
    registry: Registry,
    day_fields: dict[str, Any],
    today: int,
) -> list[dict[str, Any]]:
    race_date = day_fields["rcDate"]
    day = to_date(race_date)
    jockeys = rng.sample(registry.jockeys(meet), len(runners))
    gates = rng.sample(range(1, len(runners) + 1), len(runners))
    items: list[dict[str, Any]] = []
    strengths: list[float] = []
    for runner, jockey, gate in zip(runners, jockeys, gates, strict=True):
        item = {
            **day_fields,
            **race.fields(),
            **_entrant(rng, race, race_date, meet, runner, jockey, gate),
            **_pre_race_result(),
            **zero_sectionals(),
        }
        condition = rng.gauss(0, ability.CONDITION_SD)
        strength = ability.strength(
            registry.seed, runner[0], jockey, day, float(item["wgBudam"]), condition
        )
        if rng.random() < SCRATCH_SHARE:
            item["winOdds"], item["plcOdds"] = 0, 0
        else:
            strengths.append(strength)
        items.append(item)
    starters = [item for item in items if "winOdds" not in item]
    for item, (win, place) in zip(starters, win_odds(rng, strengths), strict=True):
        item["winOdds"], item["plcOdds"] = win, place
    if race_date < today:
        _run_race(
            random.Random(f"{registry.seed}:result:{race_date}:{meet}:{race.race_no}"),
            meet,
            race,
            list(zip(starters, strengths, strict=True)),
        )
        for item in items:
            if item["winOdds"] == 0:
                item["ordBigo"] = "출전취소"
        items.sort(key=lambda i: (i["ord"] == 0, i["ord"], i["chulNo"]))
    else:
        items.sort(key=lambda i: i["chulNo"])
    return [dict(sorted(item.items())) for item in items]
