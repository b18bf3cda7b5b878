"""Runs the services' scheduled tasks: every few seconds, and at once whenever tests move the clock.

Business time comes from the runtime's clock, so a test that advances the clock and then triggers a
run sees deletions, rotations and expiries happen exactly as they would after real waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.scheduler")

INTERVAL_SECONDS = 5.0


class Scheduler:
    def __init__(self, runtime: Runtime, interval: float = INTERVAL_SECONDS) -> None:
        self.runtime = runtime
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        # One run at a time in this process; other processes are kept apart by the store.
        self._lock = threading.Lock()

    def run_due(self) -> None:
        """Run every task once (blocking). Each task's failure is logged and does not stop the others."""
        with self._lock:
            for plugin in self.runtime.services.values():
                for task in plugin.tasks:
                    try:
                        task.function(self.runtime)
                    except Exception:
                        log.exception("scheduled task %s failed", task.name)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.runtime.settings.clock_control:
                await asyncio.to_thread(self.runtime.load_clock_offset)
            await asyncio.to_thread(self.run_due)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
