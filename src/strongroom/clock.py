"""The server's one clock for business time: rotations, deletion windows, expiries, event times.

Tests move it (`/_strongroom/clock`, which stores the offset every worker loads) so that
time-driven behaviour is testable without waiting.
Transport checks (SigV4 request-time skew) use real time instead: a client signs with its own clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall time shifted by an offset that tests may change."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        """The current business time, timezone-aware UTC."""
        return datetime.now(UTC) + self._offset

    def set_offset(self, offset: timedelta) -> None:
        self._offset = offset  # one assignment: readers see the old offset or the new one
