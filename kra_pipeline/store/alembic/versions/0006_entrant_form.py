"""Point-in-time form of each entrant, computed from the store's own earlier results.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entrant_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("horse_no", sa.String(), nullable=False),
        sa.Column("jockey_no", sa.String(), nullable=True),
        sa.Column("trainer_no", sa.String(), nullable=True),
        sa.Column("is_scratched", sa.Boolean(), nullable=False),
        sa.Column("distance_band", sa.String(length=16), nullable=True),
        sa.Column("horse_starts", sa.Integer(), nullable=True),
        sa.Column("horse_wins", sa.Integer(), nullable=True),
        sa.Column("horse_top2s", sa.Integer(), nullable=True),
        sa.Column("horse_top3s", sa.Integer(), nullable=True),
        sa.Column("horse_win_rate", sa.Float(), nullable=True),
        sa.Column("horse_top3_rate", sa.Float(), nullable=True),
        sa.Column("horse_starts_365d", sa.Integer(), nullable=True),
        sa.Column("horse_wins_365d", sa.Integer(), nullable=True),
        sa.Column("horse_top2s_365d", sa.Integer(), nullable=True),
        sa.Column("horse_top3s_365d", sa.Integer(), nullable=True),
        sa.Column("horse_win_rate_365d", sa.Float(), nullable=True),
        sa.Column("horse_top3_rate_365d", sa.Float(), nullable=True),
        sa.Column("horse_days_since_last_start", sa.Integer(), nullable=True),
        sa.Column("horse_last_position_1", sa.Integer(), nullable=True),
        sa.Column("horse_last_position_2", sa.Integer(), nullable=True),
        sa.Column("horse_last_position_3", sa.Integer(), nullable=True),
        sa.Column("horse_starts_at_band", sa.Integer(), nullable=True),
        sa.Column("horse_wins_at_band", sa.Integer(), nullable=True),
        sa.Column("horse_starts_at_meet", sa.Integer(), nullable=True),
        sa.Column("horse_wins_at_meet", sa.Integer(), nullable=True),
        sa.Column("horse_last_body_weight", sa.Integer(), nullable=True),
        sa.Column("horse_body_weight_change_since_last", sa.Float(), nullable=True),
        sa.Column("carried_weight_vs_field", sa.Float(), nullable=True),
        sa.Column("jockey_starts_365d", sa.Integer(), nullable=True),
        sa.Column("jockey_wins_365d", sa.Integer(), nullable=True),
        sa.Column("jockey_top3s_365d", sa.Integer(), nullable=True),
        sa.Column("jockey_win_rate_365d", sa.Float(), nullable=True),
        sa.Column("jockey_top3_rate_365d", sa.Float(), nullable=True),
        sa.Column("jockey_starts_60d", sa.Integer(), nullable=True),
        sa.Column("jockey_wins_60d", sa.Integer(), nullable=True),
        sa.Column("jockey_top3s_60d", sa.Integer(), nullable=True),
        sa.Column("jockey_win_rate_60d", sa.Float(), nullable=True),
        sa.Column("jockey_top3_rate_60d", sa.Float(), nullable=True),
        sa.Column("trainer_starts_365d", sa.Integer(), nullable=True),
        sa.Column("trainer_wins_365d", sa.Integer(), nullable=True),
        sa.Column("trainer_top3s_365d", sa.Integer(), nullable=True),
        sa.Column("trainer_win_rate_365d", sa.Float(), nullable=True),
        sa.Column("trainer_top3_rate_365d", sa.Float(), nullable=True),
        sa.Column("trainer_starts_60d", sa.Integer(), nullable=True),
        sa.Column("trainer_wins_60d", sa.Integer(), nullable=True),
        sa.Column("trainer_top3s_60d", sa.Integer(), nullable=True),
        sa.Column("trainer_win_rate_60d", sa.Float(), nullable=True),
        sa.Column("trainer_top3_rate_60d", sa.Float(), nullable=True),
        sa.Column("jockey_trainer_starts_365d", sa.Integer(), nullable=True),
        sa.Column("jockey_trainer_wins_365d", sa.Integer(), nullable=True),
        sa.Column("jockey_trainer_top3s_365d", sa.Integer(), nullable=True),
        sa.Column("jockey_trainer_win_rate_365d", sa.Float(), nullable=True),
        sa.Column("jockey_trainer_top3_rate_365d", sa.Float(), nullable=True),
        sa.Column("jockey_trainer_starts_60d", sa.Integer(), nullable=True),
        sa.Column("jockey_trainer_wins_60d", sa.Integer(), nullable=True),
        sa.Column("jockey_trainer_top3s_60d", sa.Integer(), nullable=True),
        sa.Column("jockey_trainer_win_rate_60d", sa.Float(), nullable=True),
        sa.Column("jockey_trainer_top3_rate_60d", sa.Float(), nullable=True),
        sa.Column("field_size", sa.Integer(), nullable=True),
        sa.Column("rating_rank", sa.Integer(), nullable=True),
        sa.Column("rating_vs_field", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entrant_form")),
        sa.UniqueConstraint(
            "race_date",
            "meet",
            "race_no",
            "gate_no",
            name=op.f("uq_entrant_form_race_date_meet_race_no_gate_no"),
        ),
    )


def downgrade() -> None:
    op.drop_table("entrant_form")
