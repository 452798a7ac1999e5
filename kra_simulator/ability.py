"""The hidden truth behind a race: how good each runner is on the day, and what the card shows.

A horse's ability is its registry `skill` plus a slow drift over its career (knots every
`DRIFT_DAYS`, linearly joined, each seeded by the horse and the knot, so any day costs the
same). The card shows it only through public signals that lag and blur it: the rating is the
ability of `RATING_LAG_DAYS` ago seen through a persistent per-horse error, carried weight
follows the rating in weight-for-rating races, and form is whatever past results say. On race
day a runner's strength adds its jockey and trainer, the weight it carries and a condition of
the day that no card shows. Strengths are log-odds of winning (finishing orders are drawn with
Gumbel luck, i.e. Plackett-Luce), scaled so real racing's spread of chances comes out.
"""

from __future__ import annotations

import datetime as dt
import functools
import random

from kra_simulator.registry import RATING_POINTS, Horse, Person

ABILITY_SCALE = 11.8  # log-odds per unit of skill (skill is Beta(2, 3), sd 0.2)
DRIFT_DAYS = 120  # spacing of a horse's ability knots
DRIFT_SD = 0.08  # knot-to-knot spread of the drift, in skill units
RATING_LAG_DAYS = 60  # the rating reflects the ability of two months ago
JOCKEY_EFFECT = 1.5  # log-odds between the worst and the best jockey
TRAINER_EFFECT = 0.6
WEIGHT_EFFECT = 0.05  # log-odds lost per kg carried
CONDITION_SD = 0.5  # the day's condition: the market sees some of it, the card none
BASE_WEIGHT = 54.0  # kg around which weights are allotted


@functools.lru_cache(maxsize=65_536)
def _knot(seed: int, horse: str, knot: int) -> float:
    return random.Random(f"{seed}:drift:{horse}:{knot}").gauss(0, DRIFT_SD)


def drift(seed: int, horse: Horse, day: dt.date) -> float:
    """The horse's drift from its registry skill on `day`, in skill units."""
    knot, offset = divmod(day.toordinal(), DRIFT_DAYS)
    share = offset / DRIFT_DAYS
    before, after = _knot(seed, horse.number, knot), _knot(seed, horse.number, knot + 1)
    return before + (after - before) * share


def ability(seed: int, horse: Horse, day: dt.date) -> float:
    """The horse's hidden ability on `day`, in log-odds of winning."""
    return ABILITY_SCALE * (horse.skill + drift(seed, horse, day))


def assessed_rating(seed: int, horse: Horse, day: dt.date) -> int:
    """The handicappers' rating of the horse on `day`: its ability of RATING_LAG_DAYS ago seen
    with the horse's rating error. Races are classed by it; the card shows it once rated."""
    lagged = drift(seed, horse, day - dt.timedelta(days=RATING_LAG_DAYS))
    return max(1, horse.assessed_rating + round(RATING_POINTS * lagged))


def card_rating(horse: Horse, assessed: int) -> int:
    """The rating the card shows: 0 while the horse is unrated (as at KRA)."""
    return 0 if horse.rating == 0 else assessed


def carried_weight(rng: random.Random, condition: str, rating: int, mean_rating: float) -> float:
    """Weight allotted: handicaps load the higher rated most, set-weight races a little, age-
    weight races not at all (KRA: 마령 age/sex, 별정 set weights with penalties, 핸디캡)."""
    spread = {"핸디캡": 5.0, "별정A": 12.0, "별정B": 12.0}.get(condition)
    base = BASE_WEIGHT + rng.choice((-2, -1, -1, 0, 0, 0, 1, 1, 2, 3))
    if spread is None or rating == 0:
        return base
    return min(60.0, max(49.0, base + round(2 * (rating - mean_rating) / spread) / 2))


def strength(
    seed: int, horse: Horse, jockey: Person, day: dt.date, weight: float, condition: float
) -> float:
    """A runner's log-odds of winning on the day, before race-day luck."""
    return (
        ability(seed, horse, day)
        + JOCKEY_EFFECT * (jockey.skill - 0.5)
        + TRAINER_EFFECT * (horse.trainer.skill - 0.5)
        - WEIGHT_EFFECT * (weight - BASE_WEIGHT)
        + condition
    )
