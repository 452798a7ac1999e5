"""Entry-sheet cards of upcoming race days, as first seen before the race.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "first_seen_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("horse_no", sa.String(), nullable=True),
        sa.Column("horse_name", sa.String(), nullable=True),
        sa.Column("jockey_no", sa.String(), nullable=True),
        sa.Column("jockey_name", sa.String(), nullable=True),
        sa.Column("trainer_no", sa.String(), nullable=True),
        sa.Column("trainer_name", sa.String(), nullable=True),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("carried_weight", sa.Double(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("post_time", sa.String(length=5), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("race_date", "meet", "race_no", "gate_no"),
    )


def downgrade() -> None:
    op.drop_table("first_seen_cards")
