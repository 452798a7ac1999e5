"""`SimulatedWorld`: deterministic KRA data for any date, the ground truth tests compare with.

The same (seed, today) always gives the same race days, entrants, results and registries; a
different seed gives a different world. Days are built lazily per (date, meet), so asking for
2015 or 2030 costs the same. Items come out wire-shaped, exactly as the simulator serves them
(Korean meet names, ids typed like KRA's serializer), and each call returns fresh copies.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from kra_simulator import entry_sheet, ledger, names, track
from kra_simulator.market import Combination, dividend_items, odds_items, race_grid
from kra_simulator.racing import RaceDay, build_race_day, races_on, to_date
from kra_simulator.records import horse_record, jockey_record, trainer_record
from kra_simulator.registry import Registry

DEFAULT_SEED = 20250608
SEOUL = dt.timezone(dt.timedelta(hours=9), "KST")  # Korea keeps no daylight saving time


def seoul_today() -> str:
    """Today's date at the racecourses, YYYYMMDD."""
    return dt.datetime.now(SEOUL).strftime("%Y%m%d")


def _date_int(value: str | int) -> int:
    """Validate a YYYYMMDD date and give it as the int KRA uses for `rcDate`."""
    text = str(value).strip()
    try:
        to_date(text)
    except ValueError:
        raise ValueError(
            f"date {value!r} is not a YYYYMMDD calendar date, e.g. '20250608'"
        ) from None
    return int(text)


def _meet(value: int | str) -> int:
    meet = int(value)
    if meet not in names.MEETS:
        raise ValueError(f"meet {value!r} is not 1 (Seoul), 2 (Jeju) or 3 (Busan-Gyeongnam)")
    return meet


class SimulatedWorld:
    """A seeded racing world; results exist only for race days strictly before `today`."""

    def __init__(self, seed: int = DEFAULT_SEED, today: str | None = None) -> None:
        self.seed = seed
        self.today = str(_date_int(today or seoul_today()))
        self._registry = Registry(seed, int(self.today))
        self._day = functools.lru_cache(maxsize=512)(self._build_day)
        self._grid = functools.lru_cache(maxsize=64)(self._build_grid)

    def __repr__(self) -> str:
        return f"SimulatedWorld(seed={self.seed}, today={self.today!r})"

    def _build_day(self, meet: int, race_date: int) -> RaceDay:
        return build_race_day(self._registry, meet, race_date, int(self.today))

    def _build_grid(self, meet: int, race_date: int) -> list[Combination]:
        starters: dict[int, list[dict[str, Any]]] = {}
        for item in self._day(meet, race_date).entrants:
            if item["winOdds"] != 0:
                starters.setdefault(item["rcNo"], []).append(item)
        finished = self.has_results(race_date)
        return [
            cell
            for race_no in sorted(starters)
            for cell in race_grid(race_no, starters[race_no], finished)
        ]

    # --- race days -----------------------------------------------------------------------

    def race_days(self, start: str | int, end: str | int) -> list[tuple[str, int]]:
        """Every (date, meet) with racing from `start` to `end`, both included, in date order."""
        first, last = to_date(_date_int(start)), to_date(_date_int(end))
        days: list[tuple[str, int]] = []
        day = first
        while day <= last:
            days.extend((day.strftime("%Y%m%d"), m) for m in names.MEETS if races_on(m, day))
            day += dt.timedelta(days=1)
        return days

    def race_day_items(
        self, meet: int | str, race_date: str | int, race_no: int | None = None
    ) -> list[dict[str, Any]]:
        """API214_1 items of a day (one per entrant, every race), or of one race."""
        items = self._day(_meet(meet), _date_int(race_date)).entrants
        return [dict(i) for i in items if race_no is None or i["rcNo"] == int(race_no)]

    def race_ledger_items(self, meet: int | str, race_date: str | int) -> list[dict[str, Any]]:
        """API4_3 items of a day: the API214_1 day as the ledger shows it; placeholders for
        days not yet run, and nothing past `ledger.DAYS_AHEAD` days after `today`."""
        day = to_date(_date_int(race_date))
        horizon = to_date(self.today) + dt.timedelta(days=ledger.DAYS_AHEAD)
        if day > horizon:
            return []
        run = self.has_results(race_date)
        return [
            ledger.ledger_item(i, has_results=run) for i in self.race_day_items(meet, race_date)
        ]

    def race_plan_items(self, meet: int | str, race_date: str | int) -> list[dict[str, Any]]:
        """API72_2 items: one per race of the day, with the scheduled post time."""
        return [dict(i) for i in self._day(_meet(meet), _date_int(race_date)).plan]

    def track_items(self, meet: int | str, race_date: str | int) -> list[dict[str, Any]]:
        """API189_1 items of a day: one per race, measured once the race is run."""
        meet, day = _meet(meet), _date_int(race_date)
        return track.track_items(
            self.race_day_items(meet, day), meet, self.has_results(day), f"{self.seed}"
        )

    def entry_sheet_items(self, meet: int | str, race_date: str | int) -> list[dict[str, Any]]:
        """API26_2 items of a day: nothing before the sheet is published (two days ahead)."""
        meet, day = _meet(meet), _date_int(race_date)
        if not entry_sheet.is_published(to_date(day), to_date(int(self.today))):
            return []
        plan = {item["rcNo"]: item["schStTime"] for item in self.race_plan_items(meet, day)}
        return entry_sheet.entry_sheet_items(
            self.race_day_items(meet, day), plan, meet, self.horse_item
        )

    def pool_grid(self, meet: int | str, race_date: str | int) -> list[Combination]:
        """The day's tote grid, every pool and combination; odds 0 before the races are run."""
        return list(self._grid(_meet(meet), _date_int(race_date)))

    def confirmed_odds_items(self, meet: int | str, race_date: str | int) -> list[dict[str, Any]]:
        """API160_1 items of a day: Korean pool names, one per race × pool × combination."""
        meet, day = _meet(meet), _date_int(race_date)
        seed = f"{self.seed}:{day}:{meet}"
        return odds_items(self._grid(meet, day), day, names.RACE_MEET_NAMES[meet], seed)

    def dividend_items(self, meet: int | str, race_date: str | int) -> list[dict[str, Any]]:
        """API301 items of a day: English pool codes, some rows sent twice."""
        meet, day = _meet(meet), _date_int(race_date)
        return dividend_items(self._grid(meet, day), day, meet, f"{self.seed}:{day}:{meet}")

    def scratch_items(self, meet: int | str, race_date: str | int) -> list[dict[str, Any]]:
        """API9_1 items of a day: one per scratched entrant (winOdds 0 on the card)."""
        meet, day = _meet(meet), _date_int(race_date)
        scratched = [i for i in self._day(meet, day).entrants if i["winOdds"] == 0]
        return [
            {
                "chulNo": item["chulNo"],
                "hrName": item["hrName"],
                "hrNo": item["hrNo"],
                "meet": names.RACE_MEET_NAMES[meet],
                "rcDate": day,
                "rcNo": item["rcNo"],
                "reason": names.SCRATCH_REASONS[(item["rcNo"] + item["chulNo"]) % 4],
            }
            for item in sorted(scratched, key=lambda i: (i["rcNo"], i["chulNo"]))
        ]

    def has_results(self, race_date: str | int) -> bool:
        """Whether races on this date are already run in this world."""
        return _date_int(race_date) < int(self.today)

    # --- registries ----------------------------------------------------------------------

    def horse_item(self, hr_no: str | int) -> dict[str, Any] | None:
        """API8_2 record of one horse (any racing era), or None for an unknown id."""
        horse = self._registry.horse(hr_no)
        return horse_record(horse) if horse else None

    def horse_items(
        self, meet: int | str, *, include_retired: bool = False
    ) -> list[dict[str, Any]]:
        """API8_2 records of the horses of racing age at a meet in `today`'s year, by number;
        with `include_retired`, also every horse that raced there since REGISTRY_FIRST_YEAR."""
        if include_retired:
            horses = self._registry.registered_horses(_meet(meet))
        else:
            horses = self._registry.active_horses(_meet(meet), int(self.today) // 10000)
        return [horse_record(h) for h in sorted(horses, key=lambda h: h.number)]

    def jockey_item(self, jk_no: str | int) -> dict[str, Any] | None:
        jockey = self._registry.person("jockey", jk_no)
        return jockey_record(jockey, int(self.today)) if jockey else None

    def jockey_items(self, meet: int | str) -> list[dict[str, Any]]:
        return [jockey_record(j, int(self.today)) for j in self._registry.jockeys(_meet(meet))]

    def trainer_item(self, tr_no: str | int) -> dict[str, Any] | None:
        trainer = self._registry.person("trainer", tr_no)
        return trainer_record(trainer) if trainer else None

    def trainer_items(self, meet: int | str) -> list[dict[str, Any]]:
        return [trainer_record(t) for t in self._registry.trainers(_meet(meet))]
