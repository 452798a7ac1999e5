"""Which records each simulated KRA operation returns for a query.

Mirrors the service's filters (`meet`, `rc_date`, `rc_month`, `rc_no`, `hr_no`, `jk_no`,
`tr_no`, names, the horse registry's `act_gubun`) and its habit of ignoring what it does not
know: an unknown parameter leaves the answer unfiltered, and without a date a race query
covers the current month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kra_simulator.names import MEETS
from kra_simulator.pool_months import grid_items, pool_filtered
from kra_simulator.sales import sales_items
from kra_simulator.world import SimulatedWorld

Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    """One KRA operation: its path below the base URL and how it selects records."""

    api: str
    operation: str
    select: Callable[[SimulatedWorld, Mapping[str, str]], Records]

    @property
    def path(self) -> str:
        return f"/{self.api}/{self.operation}"


def _meets(params: Mapping[str, str]) -> list[int]:
    value = params.get("meet", "").strip()
    if not value:
        return list(MEETS)
    return [int(value)] if value in {"1", "2", "3"} else []


def _dates(world: SimulatedWorld, params: Mapping[str, str]) -> list[str]:
    """`rc_date` if given, else every day of `rc_month` (YYYYMM), else of today's month."""
    rc_date = params.get("rc_date", "").strip()
    if rc_date:
        try:
            dt.datetime.strptime(rc_date, "%Y%m%d")
        except ValueError:
            return []
        return [rc_date]
    month = params.get("rc_month", "").strip() or world.today[:6]
    if len(month) != 6 or not month.isdigit() or not 1 <= int(month[4:]) <= 12:
        return []
    year, number = int(month[:4]), int(month[4:])
    last = calendar.monthrange(year, number)[1]
    return [f"{month}{day:02d}" for day in range(1, last + 1)]


def _same_id(value: Any, wanted: str, width: int) -> bool:
    return str(value).zfill(width) == wanted.strip().zfill(width)


def _filter_ids(
    records: Records, params: Mapping[str, str], fields: dict[str, tuple[str, int]]
) -> Records:
    for param, (field, width) in fields.items():
        wanted = params.get(param, "").strip()
        if wanted:
            records = [r for r in records if _same_id(r[field], wanted, width)]
    return records


def _filter_name(records: Records, params: Mapping[str, str], param: str, field: str) -> Records:
    wanted = params.get(param, "").strip()
    return [r for r in records if wanted in str(r[field])] if wanted else records


def race_entrants(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
    """API214_1: entrants of the matching race days, races in order."""
    records: Records = []
    meets = _meets(params)
    for race_date in _dates(world, params):
        for meet in meets:
            records.extend(world.race_day_items(meet, race_date))
    rc_no = params.get("rc_no", "").strip()
    if rc_no:
        records = [r for r in records if str(r["rcNo"]) == rc_no.lstrip("0")]
    ids = {"hr_no": ("hrNo", 7), "jk_no": ("jkNo", 6), "tr_no": ("trNo", 6)}
    return _filter_name(_filter_ids(records, params, ids), params, "hr_name", "hrName")


def race_ledger(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
    """API4_3: ledger rows of the matching days (a whole month with `rc_month`), by date,
    meet and race; `rc_no` narrows to one race."""
    meets = _meets(params)
    records = [
        item
        for race_date in _dates(world, params)
        for meet in meets
        for item in world.race_ledger_items(meet, race_date)
    ]
    rc_no = params.get("rc_no", "").strip()
    if rc_no:
        records = [r for r in records if str(r["rcNo"]) == rc_no.lstrip("0")]
    return records


def race_plans(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
    """API72_2: the scheduled races of the matching days."""
    meets = _meets(params)
    return [
        item
        for race_date in _dates(world, params)
        for meet in meets
        for item in world.race_plan_items(meet, race_date)
    ]


def _by_day(
    items: Callable[[SimulatedWorld, int, str], Records],
) -> Callable[[SimulatedWorld, Mapping[str, str]], Records]:
    """A day-keyed operation filtered by `meet`, `rc_date`/`rc_month` and `rc_no`; the `pool`
    filter is ignored, as KRA is reported to ignore it on API160_1."""

    def select(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
        meets = _meets(params)
        records = [
            item
            for race_date in _dates(world, params)
            for meet in meets
            for item in items(world, meet, race_date)
        ]
        rc_no = params.get("rc_no", "").strip()
        return [r for r in records if str(r["rcNo"]) == rc_no.lstrip("0")] if rc_no else records

    return select


def _registry(
    params: Mapping[str, str],
    one: Callable[[str], dict[str, Any] | None],
    listing: Callable[[int], Records],
    id_param: str,
    id_width: int,
) -> Records:
    wanted = params.get(id_param, "").strip()
    if wanted:
        record = one(wanted.zfill(id_width)) if wanted.isdigit() else None
        records = [record] if record else []
        if params.get("meet", "").strip():
            meets = _meets(params)
            records = [r for r in records if any(_registry_meet(r) == m for m in meets)]
        return records
    return [record for meet in _meets(params) for record in listing(meet)]


def _registry_meet(record: dict[str, Any]) -> int:
    return {"서울": 1, "제주": 2, "부산경남": 3}[record["meet"]]


def horses(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
    """API8_2: one horse by `hr_no`, or the horses of a meet (all meets without one).

    `act_gubun` picks the listing: `y` (the default) today's active horses, `n` retired ones
    too. A look-up by `hr_no` finds a horse of any era whatever `act_gubun` says.
    """
    include_retired = params.get("act_gubun", "").strip().lower() == "n"

    def listing(meet: int) -> Records:
        return world.horse_items(meet, include_retired=include_retired)

    records = _registry(params, world.horse_item, listing, "hr_no", 7)
    return _filter_name(records, params, "hr_name", "hrName")


def jockeys(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
    """API12_1: one jockey by `jk_no`, or the jockeys of a meet."""
    records = _registry(params, world.jockey_item, world.jockey_items, "jk_no", 6)
    return _filter_name(records, params, "jk_name", "jkName")


def trainers(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
    """API19_1: one trainer by `tr_no`, or the trainers of a meet."""
    records = _registry(params, world.trainer_item, world.trainer_items, "tr_no", 6)
    return _filter_name(records, params, "tr_name", "trName")


def track_reports(world: SimulatedWorld, params: Mapping[str, str]) -> Records:
    """API189_1: one row per race for `rc_date_fr`..`rc_date_to` (one day, as clients send)."""
    first = params.get("rc_date_fr", "").strip()
    last = params.get("rc_date_to", "").strip() or first
    try:
        start = dt.datetime.strptime(first, "%Y%m%d").date()
        end = dt.datetime.strptime(last, "%Y%m%d").date()
    except ValueError:
        return []
    records: Records = []
    day = start
    while day <= end:
        for meet in _meets(params):
            records.extend(world.track_items(meet, day.strftime("%Y%m%d")))
        day += dt.timedelta(days=1)
    return records


def _grid_by_month(api: str) -> Callable[[SimulatedWorld, Mapping[str, str]], Records]:
    """API28_1/29_1/30_1: a meet's day or month (`rc_month`) of one API's pools."""
    return pool_filtered(api, _by_day(lambda world, meet, day: grid_items(world, api, meet, day)))


ENDPOINTS: dict[str, Endpoint] = {
    e.api: e
    for e in (
        Endpoint("API214_1", "RaceDetailResult_1", race_entrants),
        Endpoint("API8_2", "raceHorseInfo_2", horses),
        Endpoint("API12_1", "jockeyInfo_1", jockeys),
        Endpoint("API19_1", "trainerInfo_1", trainers),
        Endpoint("API72_2", "racePlan_2", race_plans),
        Endpoint("API189_1", "Track_1", track_reports),
        Endpoint(
            "API26_2",
            "entrySheet_2",
            _by_day(lambda world, meet, day: world.entry_sheet_items(meet, day)),
        ),
        Endpoint("API4_3", "raceResult_3", race_ledger),
        Endpoint(
            "API160_1",
            "integratedInfo_1",
            _by_day(lambda world, meet, day: world.confirmed_odds_items(meet, day)),
        ),
        Endpoint(
            "API301",
            "Dividend_rate_total",
            _by_day(lambda world, meet, day: world.dividend_items(meet, day)),
        ),
        Endpoint("API28_1", "singlePredictionRateInfo_1", _grid_by_month("API28_1")),
        Endpoint("API29_1", "doublePredictionRateInfo_1", _grid_by_month("API29_1")),
        Endpoint("API30_1", "triplePredictionRateInfo_1", _grid_by_month("API30_1")),
        Endpoint("API179_1", "salesAndDividendRate_1", _by_day(sales_items)),
        Endpoint(
            "API9_1",
            "raceHorseCancelInfo_1",
            _by_day(lambda world, meet, day: world.scratch_items(meet, day)),
        ),
    )
}
