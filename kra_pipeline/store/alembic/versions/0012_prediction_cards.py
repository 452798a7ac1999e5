"""Predictions name their card; the store remembers when it first saw cards, results, scratches.

`races` gain `first_collected_at` and `results_at` (kept across re-collections), `scratches`
gain `first_seen_at`; existing rows take their last collection or fetch time, the best known.
`race_predictions` gain the card kind, the card's snapshot time, `made_at` (was
`predicted_at`) and `results_existed`, one row per (race day, card, race, gate). Existing
predictions are kept as `sheet` predictions with an unknown card time; whether results existed
is answered from the races' collection time.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEPT = ("race_date", "meet", "race_no", "gate_no", "horse_no", "win_probability",
         "predicted_rank", "model_version")  # fmt: skip


def _predictions_table(with_card: bool) -> list[sa.Column | sa.Constraint]:
    card = [sa.Column("card", sa.String(length=16), nullable=False)] if with_card else []
    times = (
        [
            sa.Column("card_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("results_existed", sa.Boolean(), nullable=False),
        ]
        if with_card
        else [sa.Column("predicted_at", sa.DateTime(), nullable=False)]
    )
    key = ["race_date", "meet", *(["card"] if with_card else []), "race_no", "gate_no"]
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        *card,
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("horse_no", sa.String(), nullable=False),
        sa.Column("win_probability", sa.Float(), nullable=False),
        sa.Column("predicted_rank", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        *times,
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*key),
    ]


def _aware(value: datetime) -> datetime:
    """Naive stored times are UTC (SQLite, the old `predicted_at`)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upgrade() -> None:
    for table, name in (("races", "first_collected_at"), ("races", "results_at"),
                        ("scratches", "first_seen_at")):  # fmt: skip
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE races SET first_collected_at = collected_at")
    op.execute("UPDATE races SET results_at = collected_at WHERE is_finished")
    op.execute("UPDATE scratches SET first_seen_at = fetched_at")

    bind = op.get_bind()
    old = sa.Table("race_predictions", sa.MetaData(), autoload_with=bind)
    rows = [dict(row) for row in bind.execute(sa.select(old)).mappings()]
    races = sa.Table("races", sa.MetaData(), autoload_with=bind)
    finished = {
        (row.race_date, row.meet, row.race_no): row.collected_at
        for row in bind.execute(
            sa.select(races.c.race_date, races.c.meet, races.c.race_no, races.c.collected_at)
            .where(races.c.is_finished)
        )
    }
    op.drop_table("race_predictions")
    new = op.create_table("race_predictions", *_predictions_table(with_card=True))
    moved = []
    for row in rows:
        made = _aware(row["predicted_at"])
        collected = finished.get((row["race_date"], row["meet"], row["race_no"]))
        moved.append(
            {
                **{name: row[name] for name in _KEPT},
                "card": "sheet",
                "card_at": None,
                "made_at": made if bind.dialect.name != "sqlite" else made.replace(tzinfo=None),
                "results_existed": collected is not None and _aware(collected) <= made,
            }
        )
    if moved:
        op.bulk_insert(new, moved)


def downgrade() -> None:
    bind = op.get_bind()
    old = sa.Table("race_predictions", sa.MetaData(), autoload_with=bind)
    rows = [dict(row) for row in bind.execute(sa.select(old)).mappings()]
    op.drop_table("race_predictions")
    new = op.create_table("race_predictions", *_predictions_table(with_card=False))
    kept: dict[tuple, dict] = {}
    for row in sorted(rows, key=lambda r: _aware(r["made_at"])):  # the newest of each gate survives
        key = (row["race_date"], row["meet"], row["race_no"], row["gate_no"])
        kept[key] = {
            **{name: row[name] for name in _KEPT},
            "predicted_at": _aware(row["made_at"]).replace(tzinfo=None),
        }
    if kept:
        op.bulk_insert(new, list(kept.values()))
    for table, name in (("scratches", "first_seen_at"), ("races", "results_at"),
                        ("races", "first_collected_at")):  # fmt: skip
        with op.batch_alter_table(table) as batch:
            batch.drop_column(name)
