"""When each whole-meet registry listing (horses, jockeys, trainers) was last fetched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from kra_pipeline.store.db import read_session, write_session
from kra_pipeline.store.tables import ReferenceListingRow


def record_listing(engine: Engine, kind: str, meet: int, fetched_at: datetime, count: int) -> None:
    """Note that the `kind` registry of `meet` was listed whole at `fetched_at`."""
    with write_session(engine) as session:
        session.merge(
            ReferenceListingRow(kind=kind, meet=meet, fetched_at=fetched_at, listed_count=count)
        )


def last_listing(engine: Engine, kind: str, meet: int) -> datetime | None:
    """When the `kind` registry of `meet` was last listed whole, if ever."""
    query = select(ReferenceListingRow.fetched_at).where(
        ReferenceListingRow.kind == kind, ReferenceListingRow.meet == meet
    )
    with read_session(engine) as session:
        return session.scalar(query)
