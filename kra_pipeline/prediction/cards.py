"""The card a prediction is made from: the collected card of the day, or, for a day ahead that
has none yet, its entry sheet as first seen, with point-in-time form from the store's results
before the day. Either way the same typed frame `dataset.entrants(form=True)` gives."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from kra_pipeline.dataset import entrants
from kra_pipeline.dataset.frames import typed
from kra_pipeline.dataset.schema import entrant_columns
from kra_pipeline.form.compute import ENTRANT_KEY, HISTORY_COLUMNS
from kra_pipeline.store.form import point_in_time_form
from kra_pipeline.store.upcoming import load_first_seen

COLLECTED = "collected card"
ENTRY_SHEET = "entry sheet"
# Entry-sheet fields kept in `raw` that the card frame carries under its own names.
_RAW_FIELDS = {"age": "age", "sex": "sex", "rcName": "race_name", "rank": "race_class"}


def prediction_card(engine: Engine, race_date: str, meet: int) -> tuple[pd.DataFrame, str]:
    """(the day's entrants with form, where they came from); empty when neither exists."""
    day = entrants(race_date, race_date, [meet], results=True, form=True, engine=engine)
    if not day.empty:
        return day, COLLECTED
    return entry_sheet_entrants(engine, race_date, meet), ENTRY_SHEET


def entry_sheet_entrants(engine: Engine, race_date: str, meet: int) -> pd.DataFrame:
    """The first-seen entry sheet of the day as entrant rows with point-in-time form; no
    body weight yet (KRA weighs the horses on the day) and no result."""
    columns = entrant_columns(results=True, enrichment=False, form=True)
    rows = load_first_seen(engine, race_date, meet)
    card = pd.DataFrame(
        [
            {
                **{name: row.get(name) for name in HISTORY_COLUMNS},
                "race_date": race_date,
                "meet": meet,
                "is_scratched": False,
                "is_finished": False,
                "horse_name": row["horse_name"],
                "jockey_name": row["jockey_name"],
                "trainer_name": row["trainer_name"],
                **{ours: row["raw"].get(theirs) for theirs, ours in _RAW_FIELDS.items()},
            }
            for row in rows
        ],
        columns=[
            *HISTORY_COLUMNS,
            "horse_name",
            "jockey_name",
            "trainer_name",
            *_RAW_FIELDS.values(),
        ],
    )
    if not card.empty:
        form = point_in_time_form(engine, card[list(HISTORY_COLUMNS)])
        card = card.merge(
            form.drop(columns=[n for n in form.columns if n in card and n not in ENTRANT_KEY]),
            on=list(ENTRANT_KEY),
            how="left",
            validate="1:1",
        )
    for name, *_ in columns:
        if name not in card:
            card[name] = None
    return typed(card, columns)
