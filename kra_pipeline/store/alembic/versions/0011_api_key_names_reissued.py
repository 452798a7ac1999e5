"""API keys: a name is unique among active keys only, so a revoked name can be issued again.

The key's hash becomes the primary key; revoked rows keep their name for `kra keys list`.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_NAME_INDEX = "uq_api_keys_active_name"
ACTIVE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    # SQLite cannot alter a primary key in place: batch mode copies the table.
    with op.batch_alter_table("api_keys", recreate="always") as batch:
        batch.drop_constraint("uq_api_keys_key_hash", type_="unique")
        batch.drop_constraint("pk_api_keys", type_="primary")
        batch.create_primary_key("pk_api_keys", ["key_hash"])
    op.create_index(
        ACTIVE_NAME_INDEX,
        "api_keys",
        ["name"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index(ACTIVE_NAME_INDEX, table_name="api_keys")
    # Names are unique again: only the newest key of each name is kept.
    op.execute(
        "DELETE FROM api_keys WHERE EXISTS (SELECT 1 FROM api_keys AS newer WHERE "
        "newer.name = api_keys.name AND newer.created_at > api_keys.created_at)"
    )
    with op.batch_alter_table("api_keys", recreate="always") as batch:
        batch.drop_constraint("pk_api_keys", type_="primary")
        batch.create_primary_key("pk_api_keys", ["name"])
        batch.create_unique_constraint("uq_api_keys_key_hash", ["key_hash"])
