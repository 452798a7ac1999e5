"""Remember when each whole-meet registry listing was fetched.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reference_listings",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("listed_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "meet", name=op.f("pk_reference_listings")),
    )


def downgrade() -> None:
    op.drop_table("reference_listings")
