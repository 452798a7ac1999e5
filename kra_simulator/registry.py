"""The people and horses of the simulated world (their wire records are in records.py).

Jockeys, trainers and owners form a fixed roster per meet. Horses come in yearly cohorts per
meet, so a race in 2015 or 2030 is run by horses of a believable age; a horse's id encodes its
meet, cohort and index, which lets `horse(hr_no)` rebuild one horse without building the rest.
Ids follow KRA's serializer: a leading-zero id travels as a JSON string, any other as an int.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from kra_simulator import names

HORSES_PER_COHORT: dict[int, int] = {1: 170, 2: 80, 3: 130}
JOCKEYS_PER_MEET: dict[int, int] = {1: 45, 2: 25, 3: 35}
TRAINERS_PER_MEET: dict[int, int] = {1: 50, 2: 25, 3: 35}
OWNERS_PER_MEET = 180
RACING_AGES = range(2, 9)  # a horse races from two to eight years old
# The first year the simulated registry remembers: a retired-inclusive listing (API8_2 with
# `act_gubun=n`) holds every horse that raced in or after it. A horse id carries a two-digit
# cohort, so the listing also stops where ids would repeat (about fifty years back).
REGISTRY_FIRST_YEAR = 2000
# A rating is the handicappers' estimate of a horse's skill: right on average, off for each
# horse by an error of this spread (skill units), so the card never gives the truth away.
RATING_ERROR_SD = 0.08
RATING_BASE, RATING_POINTS = 15, 70  # rating = base + points × skill


def wire_id(padded: str) -> str | int:
    """How KRA's JSON serializer sends an id: quoted only when it starts with a zero."""
    return padded if padded.startswith("0") else int(padded)


def pad_id(value: str | int, width: int) -> str:
    """Accept `51228`, `"51228"` or `"0051228"` and give the zero-padded form."""
    return str(value).strip().zfill(width)


@dataclass(frozen=True)
class Career:
    """Registry counters: starts and top-three finishes in total (T) and this year (Y)."""

    starts_total: int
    wins_total: int
    seconds_total: int
    thirds_total: int
    starts_year: int
    wins_year: int
    seconds_year: int
    thirds_year: int

    def counters(self) -> dict[str, int]:
        return {
            "ord1CntT": self.wins_total,
            "ord1CntY": self.wins_year,
            "ord2CntT": self.seconds_total,
            "ord2CntY": self.seconds_year,
            "ord3CntT": self.thirds_total,
            "ord3CntY": self.thirds_year,
            "rcCntT": self.starts_total,
            "rcCntY": self.starts_year,
        }


def _career(rng: random.Random, starts_total: int, starts_year: int, skill: float) -> Career:
    """Counters consistent with a skill in [0, 1]: wins + seconds + thirds never exceed starts."""
    shares = [0.03 + 0.2 * skill, 0.04 + 0.15 * skill, 0.05 + 0.12 * skill]

    def split(starts: int) -> list[int]:
        return [min(starts, round(starts * s * rng.uniform(0.8, 1.2))) for s in shares]

    starts_year = min(starts_year, starts_total)
    total = split(starts_total)
    year = [min(y, t) for y, t in zip(split(starts_year), total, strict=True)]
    return Career(starts_total, *total, starts_year, *year)


@dataclass(frozen=True)
class Person:
    """A jockey or trainer: `number` is the zero-padded 6-digit id."""

    number: str
    name: str
    meet: int
    birthday: int
    since: int  # debut (jockeys) or licence date (trainers), YYYYMMDD
    part: str | int
    weight: int
    skill: float
    career: Career


@dataclass(frozen=True)
class Horse:
    """One horse; `skill` (with its drift, see ability.py) drives ratings, odds and results."""

    number: str
    name: str
    meet: int
    cohort: int
    sex: str
    birthday: int
    country: str
    skill: float
    trainer: Person
    owner: tuple[str, str]
    sire: tuple[str, str]
    dam: tuple[str, str]
    price: str
    career: Career
    prize_total: int
    rating_error: float = 0.0

    @property
    def rating(self) -> int:
        """0 means unrated, as at KRA: a horse needs a few starts before it gets a rating."""
        return 0 if self.career.starts_total < 3 else self.assessed_rating

    @property
    def assessed_rating(self) -> int:
        """The handicappers' view of the horse, also before it has a rating to show (trials
        and trainers' word class a debutant)."""
        return max(1, int(RATING_BASE + RATING_POINTS * (self.skill + self.rating_error)))

    @property
    def grade(self) -> str:
        prefix = "국" if self.country == "한국" else "혼"
        return f"{prefix}{max(1, 6 - self.rating // 15)}"


class Registry:
    """Rosters per meet, built lazily and cached; everything derives from `seed`."""

    def __init__(self, seed: int, today: int) -> None:
        self.seed = seed
        self.today = today
        self.today_year = today // 10000
        self.cohort_horses = functools.lru_cache(maxsize=256)(self._build_cohort)
        self.owners = functools.lru_cache(maxsize=8)(self._build_owners)
        self.jockeys = functools.lru_cache(maxsize=8)(self._build_jockeys)
        self.trainers = functools.lru_cache(maxsize=8)(self._build_trainers)

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def _build_owners(self, meet: int) -> tuple[tuple[str, str], ...]:
        rng = self._rng("owners", meet)
        numbers: set[str] = set()
        while len(numbers) < OWNERS_PER_MEET:
            low = rng.random() < 0.35
            number = rng.randint(10000, 99999) if low else rng.randint(100000, 129999)
            numbers.add(f"{number:06d}")
        return tuple((n, names.person_name(rng)) for n in sorted(numbers))

    def _build_people(self, meet: int, kind: str, count: int, base: int) -> tuple[Person, ...]:
        rng = self._rng(kind, meet)
        people = []
        for index in range(count):
            # most ids are 08xxxx / 07xxxx (leading zero); a tenth are 18xxxx / 17xxxx
            prefix = 100000 if rng.random() < 0.1 else 0
            number = f"{prefix + base + meet * 100 + index:06d}"
            born = rng.randint(1965, 2002)
            start_year = min(born + rng.randint(19, 30), self.today_year - 1)
            since = start_year * 10000 + rng.randint(1, 12) * 100 + 1
            years = max(0, self.today_year - since // 10000)
            skill = rng.random()
            per_year = rng.randint(150, 420) if kind == "jockey" else rng.randint(120, 300)
            starts_year = rng.randint(per_year // 3, per_year)
            career = _career(rng, years * per_year + starts_year, starts_year, skill)
            people.append(
                Person(
                    number=number,
                    name=names.person_name(rng, foreign_share=0.08),
                    meet=meet,
                    birthday=born * 10000 + rng.randint(1, 12) * 100 + rng.randint(1, 28),
                    since=since,
                    part=rng.choice(("프리기수", "프리기수", "조교사소속"))
                    if kind == "jockey"
                    else index + 1,
                    weight=rng.randint(49, 55),
                    skill=skill,
                    career=career,
                )
            )
        return tuple(people)

    def _build_jockeys(self, meet: int) -> tuple[Person, ...]:
        return self._build_people(meet, "jockey", JOCKEYS_PER_MEET[meet], 80000)

    def _build_trainers(self, meet: int) -> tuple[Person, ...]:
        return self._build_people(meet, "trainer", TRAINERS_PER_MEET[meet], 70000)

    def _build_cohort(self, meet: int, cohort: int) -> tuple[Horse, ...]:
        return tuple(self._build_horse(meet, cohort, i) for i in range(HORSES_PER_COHORT[meet]))

    def _build_horse(self, meet: int, cohort: int, index: int) -> Horse:
        rng = self._rng("horse", meet, cohort, index)
        country = rng.choices(*zip(*names.HORSE_COUNTRIES, strict=True))[0]
        base = ((cohort % 100) * 3 + meet - 1) * 1000 + index
        number = f"{base:07d}" if country == "한국" else f"{1_000_000 + base:07d}"
        age = self.today_year - cohort
        skill = rng.betavariate(2, 3)
        starts_total = 0 if age < 2 else min(80, (age - 2) * rng.randint(4, 9) + rng.randint(0, 6))
        starts_year = min(starts_total, rng.randint(0, 9)) if age in RACING_AGES else 0
        career = _career(rng, starts_total, starts_year, skill)
        prize = (
            career.wins_total * rng.randint(15, 40) * 1_000_000
            + (career.seconds_total + career.thirds_total) * rng.randint(4, 8) * 1_000_000
        )

        def parent() -> tuple[str, str]:
            return (f"{rng.randint(20000, 45000):07d}", names.horse_name(rng))

        return Horse(
            number=number,
            name=names.horse_name(rng),
            meet=meet,
            cohort=cohort,
            sex=rng.choices(("수", "암", "거"), (4, 4, 3))[0],
            birthday=cohort * 10000 + rng.randint(2, 5) * 100 + rng.randint(1, 28),
            country=country,
            skill=skill,
            trainer=rng.choice(self.trainers(meet)),
            owner=rng.choice(self.owners(meet)),
            sire=parent(),
            dam=parent(),
            price=f"{rng.randint(1, 12) * 5000:,}천원(경매)" if rng.random() < 0.7 else "-",
            career=career,
            prize_total=prize,
            rating_error=rng.gauss(0, RATING_ERROR_SD),  # drawn last: earlier draws unchanged
        )

    def active_horses(self, meet: int, year: int) -> list[Horse]:
        """Horses of racing age in `year` at `meet`, youngest cohort first."""
        return [h for age in RACING_AGES for h in self.cohort_horses(meet, year - age)]

    def registered_horses(self, meet: int) -> list[Horse]:
        """Horses of `meet` that raced in any year from REGISTRY_FIRST_YEAR to today's year
        (today's active horses included), oldest cohort first."""
        last = self.today_year - RACING_AGES[0]
        first = min(REGISTRY_FIRST_YEAR, self.today_year) - RACING_AGES[-1]
        first = max(first, self._cohort_centre() - 49)
        return [h for cohort in range(first, last + 1) for h in self.cohort_horses(meet, cohort)]

    def _cohort_centre(self) -> int:
        """The cohort year `horse()` centres its two-digit cohort on."""
        return self.today_year - 5

    def horse(self, hr_no: str | int) -> Horse | None:
        """Rebuild one horse from its id; None for an id no horse of this world carries."""
        padded = pad_id(hr_no, 7)
        if not padded.isdigit() or len(padded) != 7:
            return None
        base = int(padded) % 1_000_000
        group, index = divmod(base, 1000)
        meet, cohort_2digit = group % 3 + 1, group // 3
        centre = self._cohort_centre()
        century = centre // 100 * 100
        cohort = min(
            (c + cohort_2digit for c in (century - 100, century, century + 100)),
            key=lambda year: abs(year - centre),
        )
        if cohort_2digit > 99 or index >= HORSES_PER_COHORT[meet]:
            return None
        horse = self.cohort_horses(meet, cohort)[index]
        return horse if horse.number == padded else None

    def person(self, kind: str, number: str | int) -> Person | None:
        padded = pad_id(number, 6)
        roster = self.jockeys if kind == "jockey" else self.trainers
        for meet in names.MEETS:
            for person in roster(meet):
                if person.number == padded:
                    return person
        return None
