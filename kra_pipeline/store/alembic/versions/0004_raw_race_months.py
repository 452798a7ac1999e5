"""Keep the API4_3 month answers (one row per month and meet) that past race days come from.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "raw_race_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=6), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_race_months")),
        sa.UniqueConstraint("month", "meet", name=op.f("uq_raw_race_months_month_meet")),
    )


def downgrade() -> None:
    op.drop_table("raw_race_months")
