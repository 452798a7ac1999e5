"""Track condition and moisture parsed out of API214_1's `track` text, for every race day."""

import pytest

from kra_pipeline.races.fields import split_track
from kra_pipeline.races.models import RaceEntrant, group_races
from kra_simulator import SimulatedWorld


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("건조 (2%)", ("건조", 2)),
        ("포화 (18%)", ("포화", 18)),
        ("다습(7%)", ("다습", 7)),
        ("양호", ("양호", None)),
        (" (0%)", (None, None)),  # the pre-race placeholder: not measured yet
        ("-", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_track(text, expected):
    assert split_track(text) == expected


def test_every_simulated_race_day_has_condition_and_moisture():
    world = SimulatedWorld(today="20250620")
    for race_date, meet in world.race_days("20250601", "20250619"):
        items = world.race_day_items(meet, race_date)
        races = group_races(RaceEntrant.from_item(item) for item in items)
        condition, moisture = split_track(items[0]["track"])
        assert condition and moisture is not None
        assert all(r.track_condition == condition for r in races)
        assert all(r.track_moisture == moisture for r in races)
