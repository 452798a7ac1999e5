"""What the simulated world says of some race days: the truth the market checks are held to."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kra_pipeline.kra.market.pool_integrity import DayKey, RaceKey
from kra_simulator import SimulatedWorld


@dataclass
class RaceFacts:
    starters: dict[RaceKey, int] = field(default_factory=dict)
    finish_orders: dict[RaceKey, list[int]] = field(default_factory=dict)
    scratched_races: set[RaceKey] = field(default_factory=set)
    result_days: set[DayKey] = field(default_factory=set)


def race_facts(world: SimulatedWorld, days: list[tuple[str, int]]) -> RaceFacts:
    """Starters, finishing order and scratches of each race of the (date, meet) days given."""
    facts = RaceFacts()
    placed: dict[RaceKey, list[tuple[int, int]]] = defaultdict(list)
    for race_date, meet in days:
        for item in world.race_day_items(meet, race_date):
            race = (race_date, meet, item["rcNo"])
            if item["winOdds"] == 0:
                facts.scratched_races.add(race)
                continue
            facts.starters[race] = facts.starters.get(race, 0) + 1
            if item["ord"]:
                placed[race].append((item["ord"], item["chulNo"]))
                facts.result_days.add((race_date, meet))
    facts.finish_orders = {
        race: [gate for _, gate in sorted(rows)] for race, rows in placed.items()
    }
    return facts
