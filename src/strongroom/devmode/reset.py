"""POST /_strongroom/reset: every table wiped back to the bootstrap and seed state.

Kept: the schema version, the barrier keyring (else nothing sealed could ever be opened again), the
default account with its root access keys (the credentials the pipeline was started with), and the
reset generation. Everything else goes: other accounts, IAM, KMS, sessions, audit events, the test
clock's offset. The seed file is then applied again, and the generation grows by one, which every
worker checks before each AWS request and, seeing it change, drops its caches (see app.py).

The wiped trail starts again with the reset's own record (ResetStore: who reset, and the new
generation), committed with the wipe.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, delete, insert, select

from strongroom.admin.clock import served_traffic
from strongroom.audit.operator import OperatorCall
from strongroom.bootstrap import DEFAULT_ACCOUNT_ID, ROOT_PRINCIPAL_TYPE
from strongroom.devmode import markers
from strongroom.devmode.caches import forget_cached_state, forget_kms_material
from strongroom.devmode.seed_file import load_seed
from strongroom.devmode.seeding import apply_seed
from strongroom.runtime import Runtime

# Never wiped: the migrations' record of the schema, and the barrier's keys.
UNTOUCHED_TABLES = frozenset({"alembic_version", "barrier_keyring", "cache_revisions"})

# One reset at a time in this process; concurrent resets from several workers are not supported.
_resetting = threading.Lock()


def default_account_id(runtime: Runtime) -> str:
    with runtime.database.session() as session:
        return markers.read(session, markers.DEVELOPER_ACCOUNT) or DEFAULT_ACCOUNT_ID


def reset_store(runtime: Runtime, caller: OperatorCall) -> int:
    """Wipe, re-seed and mark ready; returns the new reset generation."""
    with _resetting:
        account_id = default_account_id(runtime)
        forget_kms_material(runtime)
        with runtime.database.session(writes=True) as session:
            connection = session.connection()
            generation = _wipe(connection, account_id)
            # At real time: the wipe takes the test clock's offset with it.
            caller.write(connection, "ResetStore", datetime.now(UTC), {}, {"generation": generation})
        forget_cached_state(runtime)
        seed_and_mark_ready(runtime, account_id)
        return generation


def seed_and_mark_ready(runtime: Runtime, account_id: str) -> None:
    seed_file = runtime.settings.seed_file
    if seed_file is not None:
        # Read again at every reset, so a pipeline may change the file between test suites.
        apply_seed(runtime, load_seed(seed_file), account_id)
    markers.mark_ready(runtime.database)


def _wipe(connection: Connection, account_id: str) -> int:
    metadata = MetaData()
    # The tables as they are in the database, whichever services' migrations created them.
    metadata.reflect(bind=connection)
    tables = metadata.tables
    accounts, access_keys, state = tables["accounts"], tables["access_keys"], tables["server_state"]
    kept_accounts = _rows(connection, accounts, accounts.c.account_id == account_id)
    kept_keys = _rows(connection, access_keys, (access_keys.c.account_id == account_id)
                      & (access_keys.c.principal_type == ROOT_PRINCIPAL_TYPE))
    generation = int(connection.scalar(
        select(state.c.value).where(state.c.name == markers.RESET_GENERATION)) or 0) + 1
    served = served_traffic(connection)
    # Children before parents, so foreign keys hold at every step.
    for table in reversed(metadata.sorted_tables):
        if table.name in UNTOUCHED_TABLES:
            continue
        if table is state:
            connection.execute(delete(state).where(state.c.name.not_in(markers.KEPT_BY_RESET)))
        else:
            connection.execute(delete(table))
    for table, rows in ((accounts, kept_accounts), (access_keys, kept_keys)):
        if rows:
            connection.execute(insert(table), rows)
    connection.execute(delete(state).where(state.c.name == markers.RESET_GENERATION))
    connection.execute(insert(state).values(name=markers.RESET_GENERATION, value=str(generation)))
    if served:
        connection.execute(delete(state).where(state.c.name == markers.SERVED_TRAFFIC))
        connection.execute(insert(state).values(name=markers.SERVED_TRAFFIC, value="1"))
    return generation


def _rows(connection: Connection, table: Table, condition: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in connection.execute(select(table).where(condition))]
