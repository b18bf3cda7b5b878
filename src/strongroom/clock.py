"""The server's one clock for business time: rotations, deletion windows, expiries, event times.

Tests move it (set or advance) so that time-driven behaviour is testable without waiting.
Transport checks (SigV4 request-time skew) use real time instead: a client signs with its own clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall time shifted by an offset that tests may change."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        """The current business time, timezone-aware UTC."""
        return datetime.now(UTC) + self._offset

    def set_offset(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset

    def advance(self, delta: timedelta) -> datetime:
        """Move business time forward (or back, with a negative delta); returns the new now."""
        with self._lock:
            self._offset += delta
        return self.now()

    def set(self, when: datetime) -> None:
        """Make business time read `when` from now on (it keeps ticking from there)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            self._offset = when - datetime.now(UTC)
