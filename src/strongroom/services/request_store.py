"""A request's way to the store: the server's runtime, its one database transaction (each
`transaction(ctx)` block a savepoint in it, committed by the pipeline with the call's audit record),
a connection for plain reads, and the store's cache revisions as the request first read them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from strongroom.context import RequestContext

if TYPE_CHECKING:
    from strongroom.runtime import Runtime


def runtime_of(ctx: RequestContext) -> Runtime:
    assert ctx.runtime is not None  # the server wires its runtime into every request
    return ctx.runtime


@contextlib.contextmanager
def transaction(ctx: RequestContext) -> Iterator[Session]:
    """A block of the request's store transaction. In the pipeline it is a savepoint of the one
    transaction the pipeline commits with the call's audit record; elsewhere (a service acting on
    its own, e.g. a rotation, or seeding) the block is a serializable transaction of its own,
    committed when it ends (see `Database.session`)."""
    unit = ctx.store_transaction
    if unit is not None:
        with unit.block() as session:
            yield session
        return
    with runtime_of(ctx).database.session(writes=True) as session:
        yield session


def after_commit(ctx: RequestContext, action: Callable[[], None]) -> None:
    """Run `action` once what the request changed is committed (at once outside the pipeline, where
    each block has committed when it ended); never if the request's transaction is rolled back."""
    unit = ctx.store_transaction
    if unit is not None:
        unit.after_commit(action)
    else:
        action()


@contextlib.contextmanager
def reading(ctx: RequestContext) -> Iterator[Connection]:
    """A connection for a few reads by statements built once, outside any ORM session: it sees what
    is committed, not what the request itself has changed so far."""
    with runtime_of(ctx).database.engine.connect() as connection:
        yield connection


_REVISIONS = "store.cache_revisions"


def request_revision(ctx: RequestContext, name: str) -> int | None:
    """Cache revision `name` (see `strongroom.store.tables.CacheRevision`), read once per request
    for every area together: what a request caches or reuses is filed under the revisions it read
    before reading anything else. A read begun after the request was received serves it too (see
    `Database.revisions`).

    None (nothing cached is used, nothing is cached) once the request's own transaction may have
    changed the store: what it reads then may never be committed."""
    unit = ctx.store_transaction
    if unit is not None and unit.writes and unit.begun:
        return None
    revisions: dict[str, int] | None = ctx.extra.get(_REVISIONS)
    if revisions is None:
        received = ctx.request.received
        database = runtime_of(ctx).database
        revisions = ctx.extra[_REVISIONS] = database.revisions(read_after=received if received > 0 else None)
    return revisions.get(name)
