"""LastAccessedDate: the day a secret, and the version GetSecretValue answered, were last retrieved.

Written once a day per secret and version (per worker's cache entry), by a conditional update that
changes nothing when the day is already there, and without moving the "secretsmanager" cache
revision (migration 0015): the date is no part of what a cached read answers. The worker's cache
entry notes the day as soon as the write is made or queued; should the audit batch then fail (the
call fails with it), the worker writes it again once the revision moves or the day changes.

Where the write happens, so that it is durable before the answer leaves:
- SQLite: with the call's audit record, in the batch's transaction (an audit companion). The read
  itself never writes and never waits for the store's single write lock, so it can run on the event
  loop. The batch holds that lock; nothing can deadlock.
- PostgreSQL: at once, each row in its own transaction, so the write holds one row lock at a time and
  can close no cycle of lock waits. As a companion it would hold its rows' locks in the audit batch's
  transaction alongside other calls' companions (KMS last-use upserts, other secrets), taken in
  arrival order: two workers' batches could then each wait for the other's rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, or_, update

from strongroom.audit.writer import COMPANIONS, Companion
from strongroom.context import RequestContext
from strongroom.services.secretsmanager.store import runtime_of
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion

# One statement object each, its values bound at execution: compiled once per dialect.
_SECRET_ACCESS: Executable = (
    update(SmSecret)
    .where(SmSecret.arn == bindparam("secret"))
    .where(or_(SmSecret.last_accessed_at.is_(None), SmSecret.last_accessed_at != bindparam("accessed")))
    .values(last_accessed_at=bindparam("accessed"))
)
_VERSION_ACCESS: Executable = (
    update(SmSecretVersion)
    .where(SmSecretVersion.secret_arn == bindparam("secret"), SmSecretVersion.version_id == bindparam("version"))
    .where(or_(SmSecretVersion.last_accessed_at.is_(None), SmSecretVersion.last_accessed_at != bindparam("accessed")))
    .values(last_accessed_at=bindparam("accessed"))
)


def _writes(secret_arn: str, version_id: str, day: datetime) -> list[tuple[Executable, dict[str, Any]]]:
    return [(_SECRET_ACCESS, {"secret": secret_arn, "accessed": day}),
            (_VERSION_ACCESS, {"secret": secret_arn, "version": version_id, "accessed": day})]


def record(ctx: RequestContext, secret_arn: str, version_id: str, day: datetime) -> None:
    """Record that the secret and its version were retrieved on `day` (a midnight, UTC)."""
    database = runtime_of(ctx).database
    writes = _writes(secret_arn, version_id, day)
    if database.dialect == "sqlite" and ctx.additional_audit is not None:
        companion = Companion((SmSecret.__tablename__, secret_arn, version_id),
                              lambda connection: _run(connection, writes))
        ctx.extra.setdefault(COMPANIONS, []).append(companion)
        return
    for write in writes:
        with database.engine.begin() as connection:
            _run(connection, [write])


def _run(connection: Connection, writes: list[tuple[Executable, dict[str, Any]]]) -> None:
    for statement, values in writes:
        connection.execute(statement, values)
