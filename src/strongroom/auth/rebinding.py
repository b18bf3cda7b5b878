"""Sealing old access-key and session secrets again, once, under the binding that names their owner.

Stores written before that binding sealed these secrets for `access_key/<id>` and `session/<id>` only,
so a row edited to name another principal still opened. At start, before anything is served, every
such secret is opened under the old locator and sealed again under the new one (in one transaction,
with the root key, while holding the store's write lock, so that nodes starting together do it once);
a marker in `server_state` then says it is done, and from then on only the binding opens a secret.
A secret that opens under neither was tampered with: it is logged and left to be refused when used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from strongroom.auth.credentials import secret_locator
from strongroom.auth.session_tables import StsSession
from strongroom.auth.sessions import session_locator
from strongroom.barrier import Barrier, BarrierError
from strongroom.store.db import Database
from strongroom.store.tables import AccessKey, ServerState

log = logging.getLogger("strongroom.barrier")

MARKER = "sealed_secrets_bound"
MARKER_VALUE = "1"
# PostgreSQL advisory lock held while resealing (see store.db.MIGRATION_LOCK_KEY; another fixed number).
REBIND_LOCK_KEY = 0x5354_524F_4E47_0002


def rebind_sealed_secrets(database: Database, barrier: Barrier) -> int:
    """Seal again every secret still sealed the old way; returns how many. Safe when nodes start together."""
    with database.session() as session:
        if session.get(ServerState, MARKER) is not None:
            return 0
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REBIND_LOCK_KEY})
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite's write lock, now rather than at the first write
        with Session(bind=connection) as session:
            if session.get(ServerState, MARKER) is not None:
                return 0  # another node did it while this one waited
            count = _rebind(barrier, session.scalars(select(AccessKey)), secret_locator,
                            lambda key: f"access_key/{key.access_key_id}")
            count += _rebind(barrier, session.scalars(select(StsSession)), session_locator,
                             lambda row: f"session/{row.access_key_id}")
            session.add(ServerState(name=MARKER, value=MARKER_VALUE))
            session.flush()
    if count:
        log.info("sealed %d access key and session secrets again, bound to the principal they belong to", count)
    return count


def _rebind(barrier: Barrier, rows: Iterable[Any], bound: Callable[[Any], str], legacy: Callable[[Any], str]) -> int:
    count = 0
    for row in rows:
        locator = bound(row)
        try:
            barrier.open_token(row.sealed_secret, locator)
            continue  # already bound (made by a node that was already upgraded)
        except BarrierError:
            pass
        try:
            secret = barrier.open_token(row.sealed_secret, legacy(row))
        except BarrierError:
            log.error("tampering: the sealed value of %s opens neither as it was sealed nor as it is now bound; "
                      "left as it is, and refused when used", legacy(row))
            continue
        row.sealed_secret = barrier.seal(secret, locator)
        count += 1
    return count
