"""Small server-wide facts kept in `server_state`: readiness, the reset generation, developer stores.

Every worker and node reads them from the store, so they hold across processes.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from strongroom.store.db import Database
from strongroom.store.tables import ServerState

# Present once the store is migrated, bootstrapped and seeded; removed while a reset rebuilds it.
READY = "ready"
# Grows by one at every reset, so that every worker knows to drop what it cached before.
RESET_GENERATION = "reset_generation"
# The default account of a store set up by `serve --dev` (which admits test/test); absent otherwise.
DEVELOPER_ACCOUNT = "developer_account"

# Present once a reset wiped a store that had served AWS calls: business time still never goes back.
SERVED_TRAFFIC = "served_traffic"

# What a reset keeps of server_state: the rest (the test clock's offset, readiness) goes.
KEPT_BY_RESET = frozenset({RESET_GENERATION, DEVELOPER_ACCOUNT, SERVED_TRAFFIC})


def read(session: Session, name: str) -> str | None:
    row = session.get(ServerState, name)
    return row.value if row is not None else None


def write(session: Session, name: str, value: str) -> None:
    row = session.get(ServerState, name)
    if row is None:
        session.add(ServerState(name=name, value=value))
    else:
        row.value = value


def is_ready(database: Database) -> bool:
    with database.session() as session:
        return read(session, READY) is not None


def mark_ready(database: Database) -> None:
    with database.session(writes=True) as session:
        write(session, READY, "1")


def reset_generation(database: Database) -> int:
    with database.session() as session:
        return int(read(session, RESET_GENERATION) or 0)
