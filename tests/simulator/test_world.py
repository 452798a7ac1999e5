"""The simulated world is a believable, deterministic stand-in for KRA's data."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest

from kra_simulator import SimulatedWorld
from tests.fixtures.samples import load_sample_json

TODAY = "20250610"
POST_RACE = re.compile(
    r"^(ord|ordBigo|rankRise|diffUnit|rcTime|(bu|se|sj|je).*(Ord|AccTime|Time))$"
)
RACE_WEEKDAYS = {1: {5, 6}, 2: {4, 5}, 3: {4, 6}}
RACES_PER_DAY = {1: range(10, 13), 2: range(8, 11), 3: range(7, 10)}
ID_WIDTHS = {"hrNo": 7, "jkNo": 6, "trNo": 6, "owNo": 6}


def sample_items(name: str) -> list[dict[str, Any]]:
    item = load_sample_json(name)["response"]["body"]["items"]["item"]
    return item if isinstance(item, list) else [item]


@pytest.fixture(scope="module")
def world() -> SimulatedWorld:
    return SimulatedWorld(seed=11, today=TODAY)


@pytest.fixture(scope="module")
def spring(world: SimulatedWorld) -> list[tuple[str, int, list[dict[str, Any]]]]:
    """Three months of race days with their entrants."""
    return [(d, m, world.race_day_items(m, d)) for d, m in world.race_days("20250301", "20250531")]


def test_same_seed_same_world_other_seed_other_world() -> None:
    one, again, other = (SimulatedWorld(s, TODAY) for s in (5, 5, 6))
    assert one.race_day_items(1, "20250607") == again.race_day_items(1, "20250607")
    assert one.horse_items(2) == again.horse_items(2)
    assert one.race_day_items(1, "20250607") != other.race_day_items(1, "20250607")
    assert one.jockey_items(1) != other.jockey_items(1)


def test_calendar_follows_each_meet_s_racing_weekdays(world: SimulatedWorld) -> None:
    for start, end in (
        ("20150101", "20150331"),
        ("20250301", "20250531"),
        ("20300601", "20300731"),
    ):
        days = world.race_days(start, end)
        first = dt.datetime.strptime(start, "%Y%m%d").date()
        last = dt.datetime.strptime(end, "%Y%m%d").date()
        expected = {
            (d.strftime("%Y%m%d"), meet)
            for d in (first + dt.timedelta(n) for n in range((last - first).days + 1))
            for meet in (1, 2, 3)
            if d.weekday() in RACE_WEEKDAYS[meet]
        }
        assert set(days) == expected
        assert days == sorted(days)


def test_races_per_day_and_field_sizes(spring: list) -> None:
    sizes: Counter[int] = Counter()
    for race_date, meet, items in spring:
        races = Counter(item["rcNo"] for item in items)
        assert len(races) in RACES_PER_DAY[meet], (race_date, meet)
        assert sorted(races) == list(range(1, len(races) + 1))
        sizes.update(races.values())
        assert {item["rcDate"] for item in items} == {int(race_date)}
    assert min(sizes) == 7
    assert max(sizes) == 14


def test_a_day_without_racing_is_empty(world: SimulatedWorld) -> None:
    monday = "20250609"
    assert all(world.race_day_items(meet, monday) == [] for meet in (1, 2, 3))
    assert world.race_plan_items(1, monday) == []


def test_about_three_percent_of_entrants_are_scratched(spring: list) -> None:
    entrants = [item for _, _, items in spring for item in items]
    scratched = [item for item in entrants if item["winOdds"] == 0]
    assert 0.015 < len(scratched) / len(entrants) < 0.045
    for item in scratched:
        assert (item["plcOdds"], item["ord"], item["rcTime"]) == (0, 0, 0)
        assert all(item[k] == 0 for k in item if POST_RACE.match(k) and "Time" in k)


def test_entrants_carry_the_real_field_set_with_kra_typing(spring: list) -> None:
    real = sample_items("coyasong_examples_api214_response.json")[0]
    for _, _, items in spring[:6]:
        for item in items:
            assert list(item) == list(real)
            assert isinstance(item["rcDate"], int)
            assert isinstance(item["birthday"], int)
            assert isinstance(item["chaksun1"], int)
            assert re.fullmatch(r"\d{3}\((\+\d+|-\d+|0|)\)", item["wgHr"])
            whole_floats = [k for k, v in item.items() if isinstance(v, float) and v.is_integer()]
            assert whole_floats == [], "KRA sends 3, not 3.0"
    odds = [i["winOdds"] for _, _, items in spring for i in items]
    assert any(isinstance(o, int) and o > 0 for o in odds)
    assert any(isinstance(o, float) for o in odds)


def test_ids_are_quoted_only_with_a_leading_zero(spring: list) -> None:
    kinds: Counter[tuple[str, type]] = Counter()
    for _, _, items in spring:
        for item in items:
            for field, width in ID_WIDTHS.items():
                value = item[field]
                kinds[field, type(value)] += 1
                if isinstance(value, str):
                    assert len(value) == width and value.startswith("0"), (field, value)
                else:
                    assert isinstance(value, int) and len(str(value)) == width, (field, value)
    for field in ID_WIDTHS:
        assert kinds[field, str] > 0 and kinds[field, int] > 0, field


def test_meet_is_named_in_korean_the_way_each_endpoint_does(world: SimulatedWorld) -> None:
    race_names = {1: "서울", 2: "제주", 3: "부경"}
    registry_names = {1: "서울", 2: "제주", 3: "부산경남"}
    for race_date, meet in world.race_days("20250606", "20250608"):
        assert {i["meet"] for i in world.race_day_items(meet, race_date)} == {race_names[meet]}
    for meet, name in registry_names.items():
        for records in (
            world.horse_items(meet),
            world.jockey_items(meet),
            world.trainer_items(meet),
        ):
            assert {r["meet"] for r in records} == {name}
    real = sample_items("coyasong_examples_api8_2_response.json")[0]
    assert list(world.horse_items(3)[0]) == list(real)
    assert list(world.jockey_items(1)[0]) == list(
        sample_items("coyasong_examples_api12_response.json")[0]
    )
    assert list(world.trainer_items(1)[0]) == list(
        sample_items("coyasong_examples_api19_1_response.json")[0]
    )


def test_results_exist_only_before_today(world: SimulatedWorld) -> None:
    run = world.race_day_items(1, "20250608")  # Sunday before TODAY
    card = world.race_day_items(1, "20250614")  # Saturday after TODAY
    same_day = SimulatedWorld(seed=11, today="20250614").race_day_items(1, "20250614")
    assert all(i["ord"] > 0 for i in run if i["winOdds"] != 0)
    for item in card + same_day:
        assert all(item[k] in (0, "-") for k in item if POST_RACE.match(k)), item["hrNo"]


def test_a_card_is_the_same_before_and_after_the_race(world: SimulatedWorld) -> None:
    before = SimulatedWorld(seed=11, today="20250101").race_day_items(3, "20250606")
    after = world.race_day_items(3, "20250606")

    def pre_race(items: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
        return {
            (i["rcNo"], i["chulNo"]): {k: v for k, v in i.items() if not POST_RACE.match(k)}
            for i in items
        }

    assert pre_race(before) == pre_race(after)
    assert any(i["ord"] > 0 for i in after) and all(i["ord"] == 0 for i in before)


def test_results_are_coherent(spring: list) -> None:
    for _, meet, items in spring[:12]:
        for race_no in {i["rcNo"] for i in items}:
            starters = [i for i in items if i["rcNo"] == race_no and i["winOdds"] != 0]
            assert [i["ord"] for i in starters] == list(range(1, len(starters) + 1))
            times = [i["rcTime"] for i in starters]
            assert times == sorted(times) and times[0] > 0
            assert starters[0]["diffUnit"] == "-"
            winner = starters[0]
            one_furlong_out = {1: "seG1fAccTime", 2: "jeG1fTime", 3: "buG1fAccTime"}[meet]
            assert 0 < winner[one_furlong_out] < winner["rcTime"]


def test_entrants_match_the_registries(world: SimulatedWorld, spring: list) -> None:
    for _, _, items in spring[:4]:
        for item in items:
            horse = world.horse_item(item["hrNo"])
            assert horse is not None
            assert (horse["trNo"], horse["owNo"], horse["birthday"]) == (
                item["trNo"],
                item["owNo"],
                item["birthday"],
            )
            assert item["hrName"].removeprefix("[부]") == horse["hrName"]
            assert world.jockey_item(item["jkNo"])["jkName"] == item["jkName"]
            assert world.trainer_item(item["trNo"])["trName"] == item["trName"]
            assert 2 <= item["age"] <= 8


def test_registry_counters_are_consistent(world: SimulatedWorld) -> None:
    for meet in (1, 2, 3):
        records = world.horse_items(meet) + world.jockey_items(meet) + world.trainer_items(meet)
        for r in records:
            for span in "TY":
                placed = r[f"ord1Cnt{span}"] + r[f"ord2Cnt{span}"] + r[f"ord3Cnt{span}"]
                assert placed <= r[f"rcCnt{span}"]
            for n in (1, 2, 3):
                assert r[f"ord{n}CntY"] <= r[f"ord{n}CntT"]
            assert r["rcCntY"] <= r["rcCntT"]
        for t in world.trainer_items(meet):
            if t["rcCntT"]:
                assert t["winRateT"] == t["ord1CntT"] * 100 // t["rcCntT"]
                top3 = t["ord1CntT"] + t["ord2CntT"] + t["ord3CntT"]
                assert t["plcRateT"] == top3 * 100 // t["rcCntT"]


def test_accessors_take_zero_padded_or_bare_ids(world: SimulatedWorld) -> None:
    item = world.horse_items(1)[0]
    padded = str(item["hrNo"]).zfill(7)
    assert world.horse_item(padded) == world.horse_item(int(padded)) == item
    jockey = world.jockey_items(2)[0]
    assert world.jockey_item(str(jockey["jkNo"]).zfill(6)) == jockey
    assert world.horse_item("9999999") is None
    assert world.jockey_item("000001") is None
    assert world.trainer_item("abc") is None


def test_retired_horses_of_an_old_race_day_are_listed_only_with_retired_ones(
    world: SimulatedWorld,
) -> None:
    def numbers(items: list[dict[str, Any]]) -> list[str]:
        return [str(i["hrNo"]).zfill(7) for i in items]

    race_date, meet = world.race_days("20190601", "20190630")[0]
    field = set(numbers(world.race_day_items(meet, race_date)))
    active = set(numbers(world.horse_items(meet)))
    everyone = world.horse_items(meet, include_retired=True)
    registered = numbers(everyone)
    retired = field - active
    assert retired, "a field of six years ago has horses that no longer race"
    assert retired <= set(registered)
    assert active < set(registered)
    assert registered == sorted(registered) and len(set(registered)) == len(registered)
    # Every listed horse is the one a look-up by its id finds.
    for item in everyone[:: len(everyone) // 25]:
        assert world.horse_item(item["hrNo"]) == item


def test_race_plan_lists_every_race_in_post_time_order(world: SimulatedWorld) -> None:
    plan = world.race_plan_items(1, "20250607")
    items = world.race_day_items(1, "20250607")
    assert [p["rcNo"] for p in plan] == sorted({i["rcNo"] for i in items})
    for p in plan:
        race = next(i for i in items if i["rcNo"] == p["rcNo"])
        assert (p["rcDist"], p["rank"], p["ageCond"]) == (
            race["rcDist"],
            race["rank"],
            race["ageCond"],
        )
    starts = [p["schStTime"] for p in plan]
    assert starts == sorted(starts) and 900 < starts[0] < 1200


def test_a_bad_date_or_meet_says_what_to_pass(world: SimulatedWorld) -> None:
    with pytest.raises(ValueError, match="YYYYMMDD"):
        world.race_day_items(1, "2025-06-07")
    with pytest.raises(ValueError, match="Seoul"):
        world.race_day_items(4, "20250607")
