"""Track condition and weather per race (API189_1).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "track_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(), nullable=True),
        sa.Column("moisture", sa.Double(), nullable=True),
        sa.Column("weather", sa.String(), nullable=True),
        sa.Column("temperature", sa.Double(), nullable=True),
        sa.Column("humidity", sa.Double(), nullable=True),
        sa.Column("wind_direction", sa.String(), nullable=True),
        sa.Column("wind_speed", sa.Double(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("race_date", "meet", "race_no"),
    )


def downgrade() -> None:
    op.drop_table("track_reports")
