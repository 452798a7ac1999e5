"""Whole-meet listings and the per-id look-ups counted beside them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from kra_pipeline.store.listings import (
    Listing,
    listing_of,
    lookups_since,
    record_listing,
    record_lookups,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_a_listing_is_remembered_per_kind_and_meet_and_replaced(store: Engine) -> None:
    assert listing_of(store, "horse_all", 1) is None
    record_listing(store, "horse_all", 1, NOW - WEEK, 5610)
    record_listing(store, "horse_all", 1, NOW, 5612)
    record_listing(store, "horse", 1, NOW - timedelta(hours=1), 1190)
    assert listing_of(store, "horse_all", 1) == Listing(NOW, 5612)
    assert listing_of(store, "horse", 1) == Listing(NOW - timedelta(hours=1), 1190)
    assert listing_of(store, "horse_all", 2) is None


def test_lookups_add_up_within_the_window_and_old_ones_are_forgotten(store: Engine) -> None:
    record_lookups(store, "horse", 1, NOW - 2 * WEEK, 9, forget_before=NOW - 3 * WEEK)
    record_lookups(store, "horse", 1, NOW - timedelta(days=2), 3, forget_before=NOW - WEEK)
    record_lookups(store, "horse", 1, NOW, 4, forget_before=NOW - WEEK)
    record_lookups(store, "horse", 2, NOW, 5, forget_before=NOW - WEEK)
    assert lookups_since(store, "horse", 1, NOW - WEEK) == 7
    assert lookups_since(store, "horse", 1, NOW - 3 * WEEK) == 7  # the 9 were pruned
    assert lookups_since(store, "horse", 1, NOW - timedelta(days=1)) == 4
    assert lookups_since(store, "horse", 1, NOW) == 0  # strictly after
    assert lookups_since(store, "jockey", 1, NOW - WEEK) == 0
    assert lookups_since(store, "horse", 2, NOW - WEEK) == 5
