"""The market by meet x month: pool grid cells (API28_1/29_1/30_1), pool sales (API179_1) and
the test records found among the grids (kept, never deleted).

Revision ID: 0013
Revises: 0012 (prediction cards)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('market_test_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('race_date', sa.String(length=8), nullable=False),
    sa.Column('meet', sa.Integer(), nullable=False),
    sa.Column('races', sa.Integer(), nullable=False),
    sa.Column('cells', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_test_records')),
    sa.UniqueConstraint('race_date', 'meet', name=op.f('uq_market_test_records_race_date_meet'))
    )
    op.create_table('pool_grid_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('race_date', sa.String(length=8), nullable=False),
    sa.Column('meet', sa.Integer(), nullable=False),
    sa.Column('race_no', sa.Integer(), nullable=False),
    sa.Column('pool', sa.String(length=3), nullable=False),
    sa.Column('leg1', sa.Integer(), nullable=False),
    sa.Column('leg2', sa.Integer(), nullable=False),
    sa.Column('leg3', sa.Integer(), nullable=False),
    sa.Column('odds', sa.Double(), nullable=False),
    sa.Column('is_capped', sa.Boolean(), nullable=False),
    sa.Column('api', sa.String(length=16), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_grid_cells')),
    sa.UniqueConstraint('race_date', 'meet', 'race_no', 'pool', 'leg1', 'leg2', 'leg3', name=op.f('uq_pool_grid_cells_race_date_meet_race_no_pool_leg1_leg2_leg3'))
    )
    op.create_table('pool_sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('race_date', sa.String(length=8), nullable=False),
    sa.Column('meet', sa.Integer(), nullable=False),
    sa.Column('race_no', sa.Integer(), nullable=False),
    sa.Column('pool', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('paid_text', sa.String(), nullable=True),
    sa.Column('winners', sa.JSON(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_sales')),
    sa.UniqueConstraint('race_date', 'meet', 'race_no', 'pool', name=op.f('uq_pool_sales_race_date_meet_race_no_pool'))
    )


def downgrade() -> None:
    op.drop_table('pool_sales')
    op.drop_table('pool_grid_cells')
    op.drop_table('market_test_records')
