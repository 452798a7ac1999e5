"""Scratches with reasons of a race day (API9_1), replaced per day in one transaction, and
joined to the stored card so the two sources can be compared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from kra_pipeline.races.fields import HORSE_ID_WIDTH, compact_date, optional_id, to_text
from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.keys import check_race_day, day_filter
from kra_pipeline.store.tables import EntrantRow, ScratchRow


@dataclass(frozen=True)
class ScratchedEntrant:
    """A gate KRA says was scratched, its reason, and whether the card agrees (winOdds 0)."""

    race_no: int
    gate_no: int
    horse_no: str | None
    reason: str | None
    listed: bool
    on_card: bool
    scratched_on_card: bool


def replace_scratches(
    engine: Engine,
    race_date: str,
    meet: int,
    items: Iterable[Mapping[str, Any]],
    fetched_at: datetime | None = None,
) -> int:
    """Store the day's API9_1 rows (duplicates of one gate collapse); returns how many. A gate
    already listed keeps when it was first seen; `fetched_at` (default now) replays a fetch."""
    check_race_day(race_date, meet)
    stamp = fetched_at or datetime.now(UTC)
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for item in items:
        if compact_date(item.get("rcDate")) not in (race_date, None):
            raise ValueError(f"scratch of {item.get('rcDate')} handed in for {race_date}")
        key = (int(item["rcNo"]), int(item["chulNo"]))
        rows[key] = {
            "race_date": race_date,
            "meet": meet,
            "race_no": key[0],
            "gate_no": key[1],
            "horse_no": optional_id(item.get("hrNo"), HORSE_ID_WIDTH),
            # The seventh field's name is unsettled in the notes: take either spelling.
            "reason": to_text(item.get("reason", item.get("cancelReason"))),
            "raw": dict(item),
            "fetched_at": stamp,
        }
    with write_session(engine) as session:
        known = {
            (row.race_no, row.gate_no): row.first_seen_at
            for row in session.execute(
                select(ScratchRow.race_no, ScratchRow.gate_no, ScratchRow.first_seen_at).where(
                    *day_filter(ScratchRow, race_date, meet)
                )
            )
        }
        for key, row in rows.items():
            row["first_seen_at"] = known.get(key) or stamp
        session.execute(delete(ScratchRow).where(*day_filter(ScratchRow, race_date, meet)))
        if rows:
            session.execute(insert(ScratchRow), list(rows.values()))
    return len(rows)


def scratches_with_card(engine: Engine, race_date: str, meet: int) -> list[ScratchedEntrant]:
    """Every gate scratched by API9_1 or by the card (winOdds 0), joined on race and gate."""
    check_race_day(race_date, meet)
    with read_session(engine) as session:
        listed = {
            (row.race_no, row.gate_no): row
            for row in session.scalars(
                select(ScratchRow).where(*day_filter(ScratchRow, race_date, meet))
            )
        }
        cards = {
            (row.race_no, row.gate_no): row
            for row in session.scalars(
                select(EntrantRow).where(*day_filter(EntrantRow, race_date, meet))
            )
        }
    gates = set(listed) | {key for key, card in cards.items() if card.is_scratched}
    return [
        ScratchedEntrant(
            race_no=key[0],
            gate_no=key[1],
            horse_no=listed[key].horse_no if key in listed else cards[key].horse_no,
            reason=listed[key].reason if key in listed else None,
            listed=key in listed,
            on_card=key in cards,
            scratched_on_card=key in cards and cards[key].is_scratched,
        )
        for key in sorted(gates)
    ]
