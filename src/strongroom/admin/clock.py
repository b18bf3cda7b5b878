"""Moving business time (POST /_strongroom/clock), as one audited read-modify-write of the stored offset.

The offset every worker and node uses lives in `server_state`; a move reads it, computes the new one
and writes it with its CloudTrail record (MoveClock) in one write transaction, so two moves from two
workers add up rather than one undoing the other.

Outside developer mode, business time never goes back on a store that has served AWS calls: going
back would revive expired credentials and undo deletion windows already begun. A store that served
nothing yet (only operator calls) may still be set anywhere, so a test can pick its starting date.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, select
from sqlalchemy.exc import IntegrityError

from strongroom.audit.operator import EVENT_SOURCE, OperatorCall
from strongroom.devmode import markers
from strongroom.runtime import CLOCK_OFFSET, Runtime
from strongroom.store.tables import AuditEvent, ServerState

ATTEMPTS = 5
# How far business time may be from real time: a century either way keeps every date representable.
LIMIT = timedelta(days=36_525)


class ClockRequestError(ValueError):
    """The body does not say how to move the clock (400)."""


class ClockWouldGoBack(RuntimeError):
    """The move would take business time back on a store that has served traffic (409)."""


def requested_offset(body: Any, current: timedelta, real_now: datetime) -> tuple[timedelta, dict[str, Any]]:
    """The offset `body` asks for, given the stored one, and the request as the audit record shows it."""
    if not isinstance(body, dict):
        raise ClockRequestError("the body must be a JSON object")
    if "advance_seconds" in body:
        seconds = body["advance_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
            raise ClockRequestError("advance_seconds must be a number of seconds")
        if abs(seconds) > LIMIT.total_seconds():
            raise ClockRequestError("advance_seconds may move the clock at most a century")
        return current + timedelta(seconds=seconds), {"advanceSeconds": seconds}
    if "set" in body:
        try:
            when = datetime.fromisoformat(str(body["set"]))
        except ValueError as exc:
            raise ClockRequestError(f"set must be an ISO-8601 time: {exc}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when - real_now, {"set": when.isoformat()}
    raise ClockRequestError("expected advance_seconds or set")


def served_traffic(connection: Connection) -> bool:
    """Whether the store has answered any AWS call (kept across resets by a marker)."""
    called = connection.scalar(select(exists().where(AuditEvent.event_source != EVENT_SOURCE)))
    if called:
        return True
    marker = connection.scalar(select(ServerState.value).where(ServerState.name == markers.SERVED_TRAFFIC))
    return marker is not None


def move_clock(runtime: Runtime, body: Any, caller: OperatorCall) -> datetime:
    """Apply the move `body` asks for; returns the new business time. Moves wait for each other on the
    stored offset's row lock (SQLite: the write lock); the first move of a store, which creates that
    row, may lose a race to create it and is then tried again on the row the other made."""
    for _attempt in range(ATTEMPTS - 1):
        try:
            return _move_once(runtime, body, caller)
        except IntegrityError:
            continue
    return _move_once(runtime, body, caller)


def _move_once(runtime: Runtime, body: Any, caller: OperatorCall) -> datetime:
    real_now = datetime.now(UTC)
    with runtime.database.session(writes=True) as session:
        row = session.get(ServerState, CLOCK_OFFSET, with_for_update=True)
        current = timedelta(seconds=float(row.value)) if row is not None else timedelta(0)
        offset, request = requested_offset(body, current, real_now)
        if abs(offset) > LIMIT:
            raise ClockRequestError("the clock may be at most a century away from real time")
        going_back = offset < current
        if going_back and not runtime.settings.developer_mode and served_traffic(session.connection()):
            raise ClockWouldGoBack(
                "Business time never goes back on a store that has served AWS calls: it would revive "
                "expired credentials and undo deletion windows. Move it forward, or use a new data dir."
            )
        if row is None:
            session.add(ServerState(name=CLOCK_OFFSET, value=repr(offset.total_seconds())))
            session.flush()
        else:
            row.value = repr(offset.total_seconds())
        now = real_now + offset
        caller.write(session.connection(), "MoveClock", now, request,
                     {"previous": (real_now + current).isoformat(), "now": now.isoformat()})
    runtime.clock.set_offset(offset)
    return now

