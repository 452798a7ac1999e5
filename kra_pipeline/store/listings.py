"""Whole-meet registry listings (when and how large) and the per-id look-ups spent beside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, select

from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.tables import ReferenceListingRow, ReferenceLookupRow


@dataclass(frozen=True)
class Listing:
    """The last whole listing of one registry of a meet."""

    fetched_at: datetime
    listed_count: int


def record_listing(engine: Engine, kind: str, meet: int, fetched_at: datetime, count: int) -> None:
    """Note that the `kind` registry of `meet` was listed whole at `fetched_at`."""
    with write_session(engine) as session:
        session.merge(
            ReferenceListingRow(kind=kind, meet=meet, fetched_at=fetched_at, listed_count=count)
        )


def listing_of(engine: Engine, kind: str, meet: int) -> Listing | None:
    """When the `kind` registry of `meet` was last listed whole and how many it held, if ever."""
    query = select(ReferenceListingRow.fetched_at, ReferenceListingRow.listed_count).where(
        ReferenceListingRow.kind == kind, ReferenceListingRow.meet == meet
    )
    with read_session(engine) as session:
        row = session.execute(query).first()
    return Listing(row.fetched_at, row.listed_count) if row else None


def record_lookups(
    engine: Engine, kind: str, meet: int, at: datetime, count: int, *, forget_before: datetime
) -> None:
    """Add `count` per-id look-ups of `kind` at `meet`; drop the ones before `forget_before`."""
    with write_session(engine) as session:
        session.execute(
            delete(ReferenceLookupRow).where(
                ReferenceLookupRow.kind == kind,
                ReferenceLookupRow.meet == meet,
                ReferenceLookupRow.looked_up_at < forget_before,
            )
        )
        if count > 0:
            session.add(ReferenceLookupRow(kind=kind, meet=meet, looked_up_at=at, lookups=count))


def lookups_since(engine: Engine, kind: str, meet: int, since: datetime) -> int:
    """Per-id look-ups of `kind` at `meet` recorded after `since`."""
    query = select(func.coalesce(func.sum(ReferenceLookupRow.lookups), 0)).where(
        ReferenceLookupRow.kind == kind,
        ReferenceLookupRow.meet == meet,
        ReferenceLookupRow.looked_up_at > since,
    )
    with read_session(engine) as session:
        return int(session.scalar(query) or 0)
