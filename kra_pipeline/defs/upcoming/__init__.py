"""Upcoming race days: their cards from the entry sheet, before the day (kept as first seen)."""

from kra_pipeline.defs.upcoming.entry_sheets import (
    collect_upcoming_cards,
    evening_entry_sheets,
    upcoming_entry_sheet,
)

upcoming_assets = [upcoming_entry_sheet]

__all__ = [
    "collect_upcoming_cards",
    "evening_entry_sheets",
    "upcoming_assets",
    "upcoming_entry_sheet",
]
