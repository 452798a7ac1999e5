"""Alembic environment of the race store.

Called two ways: by `get_engine()` with an open connection in `config.attributes["connection"]`
(the caller holds the migration lock and owns the transaction), or from the command line, where
the URL comes from KRA_DATABASE_URL like everywhere else.
"""

from __future__ import annotations

from importlib import import_module
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from kra_pipeline.store.tables import Base, UtcDateTime

# Tables other packages declare on the store's Base and migrate with it: imported here only so
# autogenerate sees them (the REST API's keys and usage live in its own package).
OWNED_ELSEWHERE = ("kra_api.tables",)
for module in OWNED_ELSEWHERE:
    import_module(module)

config = context.config


def _render_item(kind: str, item: Any, _context: AutogenContext) -> str | bool:
    """Write plain SQL types into revisions, so old revisions never import today's tables."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_from_command_line() -> None:
    from kra_pipeline.store.db import create_store_engine, migration_connection

    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = create_store_engine()
    try:
        with migration_connection(engine) as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the race store has no offline (SQL script) mode; run `upgrade head` online")

given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    _run_from_command_line()
