"""The race store schema (SQLAlchemy 2 typed declarative models).

The pre-race card (`entrants`) and the result (`entrant_results`) are separate tables so that a
query for the card can never leak a finishing position into a model's features.
Changing a table here needs a new Alembic revision in `alembic/versions/`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kra_pipeline.form.columns import FORM_SCHEMA

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"the race store needs time-zone-aware datetimes, got {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        list[str]: JSON(),
    }


RACE_DATE = String(8)  # YYYYMMDD as KRA writes it
RACE_KEY = ("race_date", "meet", "race_no")
ENTRANT_KEY = (*RACE_KEY, "gate_no")


class RawRaceDayRow(Base):
    """API214_1 pages of one race day exactly as received, so collection can be replayed."""

    __tablename__ = "raw_race_days"
    __table_args__ = (UniqueConstraint("race_date", "meet"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    pages: Mapped[list[Any]]
    api_calls: Mapped[int]
    fetched_at: Mapped[datetime]


class RawRaceMonthRow(Base):
    """API4_3 pages of one meet's month (YYYYMM) exactly as received: the source of past race
    days when the month path is on, and the calendar (a day absent here had no racing)."""

    __tablename__ = "raw_race_months"
    __table_args__ = (UniqueConstraint("month", "meet"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(6))
    meet: Mapped[int]
    pages: Mapped[list[Any]]
    total_count: Mapped[int]
    api_calls: Mapped[int]
    fetched_at: Mapped[datetime]


class RaceRow(Base):
    __tablename__ = "races"
    __table_args__ = (UniqueConstraint(*RACE_KEY),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    distance: Mapped[int | None]
    race_class: Mapped[str | None]
    race_name: Mapped[str | None]
    age_condition: Mapped[str | None]
    weight_condition: Mapped[str | None]
    prize_condition: Mapped[str | None]
    track: Mapped[str | None]
    weather: Mapped[str | None]
    start_time: Mapped[str | None]
    is_finished: Mapped[bool]
    collected_at: Mapped[datetime]
    # Kept across re-collections: when the store first held the race's card, and when it first
    # held its results. A card's form counts only results stored before the card was seen.
    first_collected_at: Mapped[datetime | None]
    results_at: Mapped[datetime | None]


class EntrantRow(Base):
    """The pre-race card of one entrant; `pre_race` is the API item minus every result field."""

    __tablename__ = "entrants"
    __table_args__ = (
        UniqueConstraint(*ENTRANT_KEY),
        ForeignKeyConstraint(RACE_KEY, [f"races.{c}" for c in RACE_KEY], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    gate_no: Mapped[int]
    horse_no: Mapped[str]
    horse_name: Mapped[str | None]
    jockey_no: Mapped[str | None]
    jockey_name: Mapped[str | None]
    trainer_no: Mapped[str | None]
    trainer_name: Mapped[str | None]
    owner_no: Mapped[str | None]
    owner_name: Mapped[str | None]
    age: Mapped[int | None]
    sex: Mapped[str | None]
    carried_weight: Mapped[float | None]
    body_weight: Mapped[int | None]
    body_weight_change: Mapped[int | None]
    win_odds: Mapped[float | None]
    place_odds: Mapped[float | None]
    rating: Mapped[int | None]
    is_scratched: Mapped[bool]
    pre_race: Mapped[dict[str, Any]]


class EntrantResultRow(Base):
    """How an entrant finished; written only for finished races."""

    __tablename__ = "entrant_results"
    __table_args__ = (
        UniqueConstraint(*ENTRANT_KEY),
        ForeignKeyConstraint(
            ENTRANT_KEY, [f"entrants.{c}" for c in ENTRANT_KEY], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    gate_no: Mapped[int]
    finish_position: Mapped[int | None]
    finish_time: Mapped[float | None]
    margin: Mapped[str | None]
    finish_note: Mapped[str | None]
    sectionals: Mapped[dict[str, Any]]
    post_race: Mapped[dict[str, Any]]


class _Counters:
    """Career (`_total`) and current-year (`_year`) starts and placings, as fetched."""

    meet: Mapped[int | None]
    starts_total: Mapped[int | None]
    wins_total: Mapped[int | None]
    seconds_total: Mapped[int | None]
    thirds_total: Mapped[int | None]
    starts_year: Mapped[int | None]
    wins_year: Mapped[int | None]
    seconds_year: Mapped[int | None]
    thirds_year: Mapped[int | None]
    raw: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]


class HorseRow(_Counters, Base):
    __tablename__ = "horses"

    horse_no: Mapped[str] = mapped_column(String(7), primary_key=True)
    horse_name: Mapped[str | None]
    sex: Mapped[str | None]
    birthday: Mapped[str | None]
    rank: Mapped[str | None]
    rating: Mapped[int | None]
    sire_no: Mapped[str | None]
    sire_name: Mapped[str | None]
    dam_no: Mapped[str | None]
    dam_name: Mapped[str | None]
    owner_no: Mapped[str | None]
    trainer_no: Mapped[str | None]
    prize_total: Mapped[int | None]


class JockeyRow(_Counters, Base):
    __tablename__ = "jockeys"

    jockey_no: Mapped[str] = mapped_column(String(6), primary_key=True)
    jockey_name: Mapped[str | None]
    birthday: Mapped[str | None]
    debut: Mapped[str | None]
    part: Mapped[str | None]


class TrainerRow(_Counters, Base):
    __tablename__ = "trainers"

    trainer_no: Mapped[str] = mapped_column(String(6), primary_key=True)
    trainer_name: Mapped[str | None]
    start_date: Mapped[str | None]


class EnrichedEntrantRow(Base):
    """One entrant with the form of its horse, jockey and trainer (rates in percent)."""

    __tablename__ = "enriched_entrants"
    __table_args__ = (UniqueConstraint(*ENTRANT_KEY),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    gate_no: Mapped[int]
    horse_no: Mapped[str]
    jockey_no: Mapped[str | None]
    trainer_no: Mapped[str | None]
    is_scratched: Mapped[bool]
    horse_starts_total: Mapped[int | None]
    horse_win_rate_total: Mapped[float | None]
    horse_top2_rate_total: Mapped[float | None]
    horse_top3_rate_total: Mapped[float | None]
    horse_starts_year: Mapped[int | None]
    horse_win_rate_year: Mapped[float | None]
    horse_top2_rate_year: Mapped[float | None]
    horse_top3_rate_year: Mapped[float | None]
    jockey_starts_total: Mapped[int | None]
    jockey_win_rate_total: Mapped[float | None]
    jockey_top2_rate_total: Mapped[float | None]
    jockey_top3_rate_total: Mapped[float | None]
    jockey_starts_year: Mapped[int | None]
    jockey_win_rate_year: Mapped[float | None]
    jockey_top2_rate_year: Mapped[float | None]
    jockey_top3_rate_year: Mapped[float | None]
    trainer_starts_total: Mapped[int | None]
    trainer_win_rate_total: Mapped[float | None]
    trainer_top2_rate_total: Mapped[float | None]
    trainer_top3_rate_total: Mapped[float | None]
    trainer_starts_year: Mapped[int | None]
    trainer_win_rate_year: Mapped[float | None]
    trainer_top2_rate_year: Mapped[float | None]
    trainer_top3_rate_year: Mapped[float | None]
    horse_rating: Mapped[int | None]
    missing_details: Mapped[list[str]]


# Entrant columns as named on RaceEntrant (the rest of a row is its key and JSON views).
CARD_COLUMNS = (
    "gate_no",
    "horse_no",
    "horse_name",
    "jockey_no",
    "jockey_name",
    "trainer_no",
    "trainer_name",
    "owner_no",
    "owner_name",
    "age",
    "sex",
    "carried_weight",
    "body_weight",
    "body_weight_change",
    "win_odds",
    "place_odds",
    "rating",
    "is_scratched",
)
RESULT_COLUMNS = ("finish_position", "finish_time", "margin", "finish_note", "sectionals")


class ReferenceListingRow(Base):
    """When a whole-meet registry listing was last fetched, so it is not repeated for ids it
    cannot contain (retired or transferred horses and people)."""

    __tablename__ = "reference_listings"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    meet: Mapped[int] = mapped_column(primary_key=True)
    fetched_at: Mapped[datetime]
    listed_count: Mapped[int]


class ReferenceLookupRow(Base):
    """Per-id look-ups spent on ids a meet's listing lacked: the "rent" that decides when the
    retired-inclusive listing is worth its pages. Rows older than the cache age are pruned."""

    __tablename__ = "reference_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    meet: Mapped[int]
    looked_up_at: Mapped[datetime]
    lookups: Mapped[int]


_FORM_TYPES = {"int": Integer, "float": Float, "str": String(16)}

# Point-in-time form of each entrant from the store's own results strictly before the race date
# (kra_pipeline.form); replaced per race day. Columns: kra_pipeline.form.columns.
entrant_form = Table(
    "entrant_form",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("race_date", RACE_DATE, nullable=False),
    Column("meet", Integer, nullable=False),
    Column("race_no", Integer, nullable=False),
    Column("gate_no", Integer, nullable=False),
    Column("horse_no", String, nullable=False),
    Column("jockey_no", String, nullable=True),
    Column("trainer_no", String, nullable=True),
    Column("is_scratched", Boolean, nullable=False),
    *(Column(c.name, _FORM_TYPES[c.kind], nullable=True) for c in FORM_SCHEMA),
    UniqueConstraint(*ENTRANT_KEY),
)


# Win probabilities of a race day's runners as the model predicted them from a named card
# (`contract.CARD_KINDS`): the card's own snapshot time, when the prediction was made, by which
# model, and whether the day's results were already stored then (such a row is never scored as
# a pre-race prediction, and never replaces one).
race_predictions = Table(
    "race_predictions",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("race_date", RACE_DATE, nullable=False),
    Column("meet", Integer, nullable=False),
    Column("card", String(16), nullable=False),
    Column("race_no", Integer, nullable=False),
    Column("gate_no", Integer, nullable=False),
    Column("horse_no", String, nullable=False),
    Column("win_probability", Float, nullable=False),
    Column("predicted_rank", Integer, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("card_at", UtcDateTime(), nullable=True),
    Column("made_at", UtcDateTime(), nullable=False),
    Column("results_existed", Boolean, nullable=False),
    UniqueConstraint("race_date", "meet", "card", "race_no", "gate_no"),
)


class ApiRequestRow(Base):
    """One admitted REST request of a key, kept for the length of its rate window: the
    sliding-window log every shim process and worker counts against."""

    __tablename__ = "api_requests"
    __table_args__ = (Index("ix_api_requests_key_at", "key_id", "at_ms"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    at_ms: Mapped[int] = mapped_column(BigInteger)


class ApiDailyCountRow(Base):
    """Requests a key was admitted on one UTC day, for the optional daily limit."""

    __tablename__ = "api_daily_counts"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    hits: Mapped[int]


class ApiUsageRow(Base):
    """Authorised REST calls per key (fingerprint, never the key), action and status."""

    __tablename__ = "api_usage"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(128))
    calls: Mapped[int]


class ApiKeyRow(Base):
    """A REST API key issued with `kra keys add`: only its SHA-256 is kept, never the key.

    A name belongs to one active key at a time; revoked keys keep their rows (and their name),
    so a name can be issued again after a revocation or a rotation.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        Index(
            "uq_api_keys_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[list[str]]
    rate_limit: Mapped[int | None]
    daily_limit: Mapped[int | None]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PoolCombinationRow(Base):
    """One combination of one tote pool with its confirmed odds, per source API.

    `leg2`/`leg3` are 0 when the pool has fewer legs; unordered pools hold their legs sorted.
    `is_capped` marks KRA's display cap (9999.9): a price that is not a usable payout.
    """

    __tablename__ = "pool_combinations"
    __table_args__ = (
        UniqueConstraint("race_date", "meet", "race_no", "api", "pool", "leg1", "leg2", "leg3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    api: Mapped[str] = mapped_column(String(16))
    pool: Mapped[str] = mapped_column(String(3))
    leg1: Mapped[int]
    leg2: Mapped[int]
    leg3: Mapped[int]
    odds: Mapped[float]
    is_capped: Mapped[bool]
    fetched_at: Mapped[datetime]


class ScratchRow(Base):
    """A scratched entrant with KRA's reason (API9_1), keyed like the card's entrants."""

    __tablename__ = "scratches"
    __table_args__ = (UniqueConstraint(*ENTRANT_KEY),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    gate_no: Mapped[int]
    horse_no: Mapped[str | None]
    reason: Mapped[str | None]
    raw: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]
    # Kept across re-fetches of the day: when the scratch was first known (a card of an
    # earlier time must not know it).
    first_seen_at: Mapped[datetime | None]


class FirstSeenCardRow(Base):
    """An entrant of a race day as its entry sheet (API26_2) first listed it, before the race:
    kept whatever the real card and the results say later, so what was known before the race
    stays knowable. `raw` holds the row as first seen, career counters included (a snapshot of
    the day it was fetched, never form)."""

    __tablename__ = "first_seen_cards"
    __table_args__ = (UniqueConstraint(*ENTRANT_KEY),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    gate_no: Mapped[int]
    horse_no: Mapped[str | None]
    horse_name: Mapped[str | None]
    jockey_no: Mapped[str | None]
    jockey_name: Mapped[str | None]
    trainer_no: Mapped[str | None]
    trainer_name: Mapped[str | None]
    distance: Mapped[int | None]
    carried_weight: Mapped[float | None]
    rating: Mapped[int | None]
    post_time: Mapped[str | None] = mapped_column(String(5))
    raw: Mapped[dict[str, Any]]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class TrackReportRow(Base):
    """Track condition and weather of one race (API189_1); `raw` keeps KRA's row whole."""

    __tablename__ = "track_reports"
    __table_args__ = (UniqueConstraint(*RACE_KEY),)

    id: Mapped[int] = mapped_column(primary_key=True)
    race_date: Mapped[str] = mapped_column(RACE_DATE)
    meet: Mapped[int]
    race_no: Mapped[int]
    condition: Mapped[str | None]
    moisture: Mapped[float | None]
    weather: Mapped[str | None]
    temperature: Mapped[float | None]
    humidity: Mapped[float | None]
    wind_direction: Mapped[str | None]
    wind_speed: Mapped[float | None]
    raw: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]
