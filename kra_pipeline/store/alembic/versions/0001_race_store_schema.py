"""Race store schema: raw race days, races, entrant cards and results, reference data, enrichment.

Revision ID: 0001
Revises: (none, the first revision)
Create Date: 2026-11-22 02:28:48.607825
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enriched_entrants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("horse_no", sa.String(), nullable=False),
        sa.Column("jockey_no", sa.String(), nullable=True),
        sa.Column("trainer_no", sa.String(), nullable=True),
        sa.Column("is_scratched", sa.Boolean(), nullable=False),
        sa.Column("horse_starts_total", sa.Integer(), nullable=True),
        sa.Column("horse_win_rate_total", sa.Double(), nullable=True),
        sa.Column("horse_top2_rate_total", sa.Double(), nullable=True),
        sa.Column("horse_top3_rate_total", sa.Double(), nullable=True),
        sa.Column("horse_starts_year", sa.Integer(), nullable=True),
        sa.Column("horse_win_rate_year", sa.Double(), nullable=True),
        sa.Column("horse_top2_rate_year", sa.Double(), nullable=True),
        sa.Column("horse_top3_rate_year", sa.Double(), nullable=True),
        sa.Column("jockey_starts_total", sa.Integer(), nullable=True),
        sa.Column("jockey_win_rate_total", sa.Double(), nullable=True),
        sa.Column("jockey_top2_rate_total", sa.Double(), nullable=True),
        sa.Column("jockey_top3_rate_total", sa.Double(), nullable=True),
        sa.Column("jockey_starts_year", sa.Integer(), nullable=True),
        sa.Column("jockey_win_rate_year", sa.Double(), nullable=True),
        sa.Column("jockey_top2_rate_year", sa.Double(), nullable=True),
        sa.Column("jockey_top3_rate_year", sa.Double(), nullable=True),
        sa.Column("trainer_starts_total", sa.Integer(), nullable=True),
        sa.Column("trainer_win_rate_total", sa.Double(), nullable=True),
        sa.Column("trainer_top2_rate_total", sa.Double(), nullable=True),
        sa.Column("trainer_top3_rate_total", sa.Double(), nullable=True),
        sa.Column("trainer_starts_year", sa.Integer(), nullable=True),
        sa.Column("trainer_win_rate_year", sa.Double(), nullable=True),
        sa.Column("trainer_top2_rate_year", sa.Double(), nullable=True),
        sa.Column("trainer_top3_rate_year", sa.Double(), nullable=True),
        sa.Column("horse_rating", sa.Integer(), nullable=True),
        sa.Column("missing_details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enriched_entrants")),
        sa.UniqueConstraint(
            "race_date",
            "meet",
            "race_no",
            "gate_no",
            name=op.f("uq_enriched_entrants_race_date_meet_race_no_gate_no"),
        ),
    )
    op.create_table(
        "horses",
        sa.Column("horse_no", sa.String(length=7), nullable=False),
        sa.Column("horse_name", sa.String(), nullable=True),
        sa.Column("sex", sa.String(), nullable=True),
        sa.Column("birthday", sa.String(), nullable=True),
        sa.Column("rank", sa.String(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("sire_no", sa.String(), nullable=True),
        sa.Column("sire_name", sa.String(), nullable=True),
        sa.Column("dam_no", sa.String(), nullable=True),
        sa.Column("dam_name", sa.String(), nullable=True),
        sa.Column("owner_no", sa.String(), nullable=True),
        sa.Column("trainer_no", sa.String(), nullable=True),
        sa.Column("prize_total", sa.Integer(), nullable=True),
        sa.Column("meet", sa.Integer(), nullable=True),
        sa.Column("starts_total", sa.Integer(), nullable=True),
        sa.Column("wins_total", sa.Integer(), nullable=True),
        sa.Column("seconds_total", sa.Integer(), nullable=True),
        sa.Column("thirds_total", sa.Integer(), nullable=True),
        sa.Column("starts_year", sa.Integer(), nullable=True),
        sa.Column("wins_year", sa.Integer(), nullable=True),
        sa.Column("seconds_year", sa.Integer(), nullable=True),
        sa.Column("thirds_year", sa.Integer(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("horse_no", name=op.f("pk_horses")),
    )
    op.create_table(
        "jockeys",
        sa.Column("jockey_no", sa.String(length=6), nullable=False),
        sa.Column("jockey_name", sa.String(), nullable=True),
        sa.Column("birthday", sa.String(), nullable=True),
        sa.Column("debut", sa.String(), nullable=True),
        sa.Column("part", sa.String(), nullable=True),
        sa.Column("meet", sa.Integer(), nullable=True),
        sa.Column("starts_total", sa.Integer(), nullable=True),
        sa.Column("wins_total", sa.Integer(), nullable=True),
        sa.Column("seconds_total", sa.Integer(), nullable=True),
        sa.Column("thirds_total", sa.Integer(), nullable=True),
        sa.Column("starts_year", sa.Integer(), nullable=True),
        sa.Column("wins_year", sa.Integer(), nullable=True),
        sa.Column("seconds_year", sa.Integer(), nullable=True),
        sa.Column("thirds_year", sa.Integer(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jockey_no", name=op.f("pk_jockeys")),
    )
    op.create_table(
        "races",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("race_class", sa.String(), nullable=True),
        sa.Column("race_name", sa.String(), nullable=True),
        sa.Column("age_condition", sa.String(), nullable=True),
        sa.Column("weight_condition", sa.String(), nullable=True),
        sa.Column("prize_condition", sa.String(), nullable=True),
        sa.Column("track", sa.String(), nullable=True),
        sa.Column("weather", sa.String(), nullable=True),
        sa.Column("start_time", sa.String(), nullable=True),
        sa.Column("is_finished", sa.Boolean(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_races")),
        sa.UniqueConstraint(
            "race_date", "meet", "race_no", name=op.f("uq_races_race_date_meet_race_no")
        ),
    )
    op.create_table(
        "raw_race_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_race_days")),
        sa.UniqueConstraint("race_date", "meet", name=op.f("uq_raw_race_days_race_date_meet")),
    )
    op.create_table(
        "trainers",
        sa.Column("trainer_no", sa.String(length=6), nullable=False),
        sa.Column("trainer_name", sa.String(), nullable=True),
        sa.Column("start_date", sa.String(), nullable=True),
        sa.Column("meet", sa.Integer(), nullable=True),
        sa.Column("starts_total", sa.Integer(), nullable=True),
        sa.Column("wins_total", sa.Integer(), nullable=True),
        sa.Column("seconds_total", sa.Integer(), nullable=True),
        sa.Column("thirds_total", sa.Integer(), nullable=True),
        sa.Column("starts_year", sa.Integer(), nullable=True),
        sa.Column("wins_year", sa.Integer(), nullable=True),
        sa.Column("seconds_year", sa.Integer(), nullable=True),
        sa.Column("thirds_year", sa.Integer(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trainer_no", name=op.f("pk_trainers")),
    )
    op.create_table(
        "entrants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("horse_no", sa.String(), nullable=False),
        sa.Column("horse_name", sa.String(), nullable=True),
        sa.Column("jockey_no", sa.String(), nullable=True),
        sa.Column("jockey_name", sa.String(), nullable=True),
        sa.Column("trainer_no", sa.String(), nullable=True),
        sa.Column("trainer_name", sa.String(), nullable=True),
        sa.Column("owner_no", sa.String(), nullable=True),
        sa.Column("owner_name", sa.String(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(), nullable=True),
        sa.Column("carried_weight", sa.Double(), nullable=True),
        sa.Column("body_weight", sa.Integer(), nullable=True),
        sa.Column("body_weight_change", sa.Integer(), nullable=True),
        sa.Column("win_odds", sa.Double(), nullable=True),
        sa.Column("place_odds", sa.Double(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("is_scratched", sa.Boolean(), nullable=False),
        sa.Column("pre_race", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["race_date", "meet", "race_no"],
            ["races.race_date", "races.meet", "races.race_no"],
            name=op.f("fk_entrants_race_date_races"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entrants")),
        sa.UniqueConstraint(
            "race_date",
            "meet",
            "race_no",
            "gate_no",
            name=op.f("uq_entrants_race_date_meet_race_no_gate_no"),
        ),
    )
    op.create_table(
        "entrant_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_date", sa.String(length=8), nullable=False),
        sa.Column("meet", sa.Integer(), nullable=False),
        sa.Column("race_no", sa.Integer(), nullable=False),
        sa.Column("gate_no", sa.Integer(), nullable=False),
        sa.Column("finish_position", sa.Integer(), nullable=True),
        sa.Column("finish_time", sa.Double(), nullable=True),
        sa.Column("margin", sa.String(), nullable=True),
        sa.Column("finish_note", sa.String(), nullable=True),
        sa.Column("sectionals", sa.JSON(), nullable=False),
        sa.Column("post_race", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["race_date", "meet", "race_no", "gate_no"],
            ["entrants.race_date", "entrants.meet", "entrants.race_no", "entrants.gate_no"],
            name=op.f("fk_entrant_results_race_date_entrants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entrant_results")),
        sa.UniqueConstraint(
            "race_date",
            "meet",
            "race_no",
            "gate_no",
            name=op.f("uq_entrant_results_race_date_meet_race_no_gate_no"),
        ),
    )


def downgrade() -> None:
    op.drop_table("entrant_results")
    op.drop_table("entrants")
    op.drop_table("trainers")
    op.drop_table("raw_race_days")
    op.drop_table("races")
    op.drop_table("jockeys")
    op.drop_table("horses")
    op.drop_table("enriched_entrants")
