"""A request's way to the store: the server's runtime, one database transaction, for the services
whose operations need nothing more around them (IAM adds its ConcurrentModification answer), a
connection for plain reads, and the store's cache revisions as the request first read them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
    with runtime_of(ctx).database.session() as session:
        yield session


@contextlib.contextmanager
def reading(ctx: RequestContext) -> Iterator[Connection]:
    """A connection for a few reads by statements built once, outside any ORM session."""
    with runtime_of(ctx).database.engine.connect() as connection:
        yield connection


_REVISIONS = "store.cache_revisions"


def request_revision(ctx: RequestContext, name: str) -> int | None:
    """Cache revision `name` (see `strongroom.store.tables.CacheRevision`), read once per request
    for every area together: what a request caches or reuses is filed under the revisions it read
    before reading anything else. A read begun after the request was received serves it too (see
    `Database.revisions`)."""
    revisions: dict[str, int] | None = ctx.extra.get(_REVISIONS)
    if revisions is None:
        received = ctx.request.received
        database = runtime_of(ctx).database
        revisions = ctx.extra[_REVISIONS] = database.revisions(read_after=received if received > 0 else None)
    return revisions.get(name)
