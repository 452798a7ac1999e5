"""Market rows read defensively: API179_1's circled-number text and the month grids' fields."""

from __future__ import annotations

import pytest

from kra_pipeline.kra.market.grid_rows import MarketRowError, parse_grid_rows
from kra_pipeline.kra.market.pool_sales import Dividend, parse_dividend_text, parse_sales_rows

RACE = {"meet": "서울", "rcDate": 20250308, "rcNo": 1}


@pytest.mark.parametrize(
    ("text", "pool", "paid"),
    [
        ("⑪③⑥-1077.1", "TRI", [((11, 3, 6), 1077.1)]),  # ordered: as finished
        ("⑪③⑥-80.2", "TLA", [((3, 6, 11), 80.2)]),  # unordered: sorted
        ("⑪-2  ⑥-2.5  ③-3.5", "PLC", [((11,), 2.0), ((6,), 2.5), ((3,), 3.5)]),
        ("⑪③-2.1  ⑪⑥-3.4  ③⑥-5", "QPL", [((3, 11), 2.1), ((6, 11), 3.4), ((3, 6), 5.0)]),
        ("⑳⑫-12,345.6", "EXA", [((20, 12), 12345.6)]),
        ("①⑧ - 9.7", "QNL", [((1, 8), 9.7)]),
        ("", "WIN", []),
        ("-", "WIN", []),
    ],
)
def test_circled_numbers_give_the_paid_combinations(text, pool, paid) -> None:
    assert parse_dividend_text(text, pool) == tuple(Dividend(legs, d) for legs, d in paid)


@pytest.mark.parametrize(
    ("text", "pool", "reason"),
    [
        ("⑪③-10.5", "TRI", "names 2 gate"),
        ("⑪⑪-10.5", "QNL", "2 different gate"),
        ("11-3.4", "WIN", "not circled gates"),
        ("⑪③⑥-1077.1 refund", "TRI", "not circled gates"),
        ("㉑-2", "WIN", "not circled gates"),
        ("⑪③⑥", "TRI", "not circled gates"),
    ],
)
def test_a_text_of_another_shape_is_refused(text, pool, reason) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_dividend_text(text, pool)


def test_sales_rows_are_typed_and_a_repeat_is_kept_once() -> None:
    row = {**RACE, "meet": 1, "amt": 413419800, "odds": "⑪③⑥-1077.1", "pool": "삼쌍"}
    answer = parse_sales_rows([row, dict(row), {**row, "pool": "연식", "odds": "⑪-2  ⑥-2.5"}])
    assert answer.duplicates == 1 and answer.conflicts == 0
    trifecta, place = answer.rows
    assert (trifecta.race_date, trifecta.meet, trifecta.race_no, trifecta.pool) == (
        "20250308",
        1,
        1,
        "TRI",
    )
    assert trifecta.amount == 413_419_800 and trifecta.raw == row
    assert trifecta.winners == (Dividend((11, 3, 6), 1077.1),)
    assert [w.legs for w in place.winners] == [(11,), (6,)]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amt": "lots"}, "amt is missing"),
        ({"amt": -5}, "non-negative"),
        ({"pool": "복권"}, "not a pool KRA sells"),
        ({"odds": "⑪-2"}, "names 1 gate"),
        ({"rcNo": None}, "rcNo is missing"),
    ],
)
def test_a_malformed_sales_row_is_refused(change, reason) -> None:
    row = {**RACE, "amt": 1000, "odds": "⑪③⑥-1077.1", "pool": "삼쌍", **change}
    with pytest.raises(MarketRowError, match=reason):
        parse_sales_rows([row])


def test_grid_rows_take_every_spelling_seen() -> None:
    rows = [
        {**RACE, "pool": "WIN", "chulNo": 3, "odds": 4.5},  # API28_1 as JOO keyed it
        {**RACE, "pool": "연승식", "chulNo1": "04", "odds": "1.7"},  # other client spellings
        {**RACE, "poolName": "단식", "chulNo": 5, "odds": 9999.9},
    ]
    win, place, capped = parse_grid_rows("API28_1", rows).combinations
    assert (win.pool, win.legs, win.odds, win.is_capped) == ("WIN", (3,), 4.5, False)
    assert (place.pool, place.legs, place.raw) == ("PLC", (4,), rows[1])
    assert capped.is_capped
    doubles = [
        {**RACE, "pool": "QNL", "chulNo1": 7, "chulNo2": 2, "odds": 30.1},
        {**RACE, "pool": "EXA", "chulNo": 7, "chulNo2": 2, "chulNo3": 0, "odds": 60.3},
        {**RACE, "pool": "QPL", "chulNo1": 0, "chulNo2": 0, "odds": 0},  # not yet priced
    ]
    grid = parse_grid_rows("API29_1", doubles)
    assert [(c.pool, c.legs) for c in grid.combinations] == [("QNL", (2, 7)), ("EXA", (7, 2))]
    assert grid.placeholders == 1


@pytest.mark.parametrize(
    ("api", "change", "reason"),
    [
        ("API29_1", {"pool": "WIN"}, "not one of API29_1's pools"),
        ("API29_1", {"odds": None}, "odds is missing"),
        ("API29_1", {"odds": "inf"}, "odds is missing"),
        ("API29_1", {"chulNo": 3}, "name different gates"),
        ("API29_1", {"chulNo2": "x"}, "chulNo2 is not a gate number"),
        ("API29_1", {"chulNo2": 0}, "names 2 different gate"),
        ("API29_1", {"chulNo3": 5}, "names 2 different gate"),
        ("API29_1", {"meet": "영천"}, "unknown meet"),
        ("API29_1", {"rcDate": "soon"}, "rcDate or rcNo"),
    ],
)
def test_a_malformed_grid_row_is_refused(api, change, reason) -> None:
    row = {**RACE, "pool": "EXA", "chulNo1": 7, "chulNo2": 2, "odds": 60.3, **change}
    with pytest.raises(MarketRowError, match=reason):
        parse_grid_rows(api, [row])
