"""Tote pool combinations with confirmed odds (API301, API160_1); scratches with reasons (API9_1).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pool_combinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("api", sa.String(length=16), nullable=False),
        sa.Column("pool", sa.String(length=3), nullable=False),
        sa.Column("leg1", sa.Integer(), nullable=False),
        sa.Column("leg2", sa.Integer(), nullable=False),
        sa.Column("leg3", sa.Integer(), nullable=False),
        sa.Column("odds", sa.Double(), nullable=False),
        sa.Column("is_capped", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_combinations")),
        sa.UniqueConstraint(
            "race_date",
            "meet",
            "race_no",
            "api",
            "pool",
            "leg1",
            "leg2",
            "leg3",
            name=op.f("uq_pool_combinations_race_date_meet_race_no_api_pool_leg1_leg2_leg3"),
        ),
    )
    op.create_table(
        "scratches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("horse_no", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scratches")),
        sa.UniqueConstraint(
            "race_date",
            "meet",
            "race_no",
            "gate_no",
            name=op.f("uq_scratches_race_date_meet_race_no_gate_no"),
        ),
    )


def downgrade() -> None:
    op.drop_table("scratches")
    op.drop_table("pool_combinations")
