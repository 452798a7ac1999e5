"""Win probabilities of each race day's runners, as predicted before the race.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "race_predictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("horse_no", sa.String(), nullable=False),
        sa.Column("win_probability", sa.Float(), nullable=False),
        sa.Column("predicted_rank", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("predicted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("race_date", "meet", "race_no", "gate_no"),
    )


def downgrade() -> None:
    op.drop_table("race_predictions")
