"""A request's way to the store: the server's runtime and one database transaction, for the services
whose operations need nothing more around them (IAM adds its ConcurrentModification answer)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

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
