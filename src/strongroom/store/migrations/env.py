"""Alembic's environment for Strongroom: migrations run on the connection `Database.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from strongroom.store.db import DatabaseError
from strongroom.store.schema import full_metadata


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        # Offline (SQL script) mode and URL-driven runs are not used: the server migrates itself.
        raise DatabaseError("migrations run only through strongroom.store.db.Database.migrate")
    context.configure(connection=connection, target_metadata=full_metadata(), compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


_run()
