"""Strongroom's own endpoints under /_strongroom/: health, and the test clock when enabled."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import orjson

from strongroom import __version__
from strongroom.runtime import Runtime
from strongroom.scheduler import Scheduler
from strongroom.wire.http import HttpRequest, HttpResponse

ADMIN_PREFIX = "/_strongroom/"


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


class AdminRoutes:
    def __init__(self, runtime: Runtime, scheduler: Scheduler) -> None:
        self.runtime = runtime
        self.scheduler = scheduler

    async def handle(self, request: HttpRequest) -> HttpResponse:
        route = request.path[len(ADMIN_PREFIX):].rstrip("/")
        if route == "health" and request.method in ("GET", "HEAD"):
            return self.health()
        if route == "clock":
            return await self.clock(request)
        return _json(404, {"error": "NotFound", "message": f"No admin route {request.path}"})

    def health(self) -> HttpResponse:
        return _json(200, {
            "status": "ok",
            "version": __version__,
            "services": sorted(self.runtime.services),
        })

    async def clock(self, request: HttpRequest) -> HttpResponse:
        """GET reads business time; POST {"advance_seconds": N} or {"set": ISO-8601} moves it.

        After a move, every scheduled task runs once before the answer, so what fell due has happened.
        """
        if not self.runtime.settings.clock_control:
            return _json(403, {"error": "Forbidden", "message": "The server clock is not controllable here."})
        if request.method == "POST":
            try:
                body = orjson.loads(request.body or b"{}")
                if "advance_seconds" in body:
                    self.runtime.clock.advance(timedelta(seconds=float(body["advance_seconds"])))
                elif "set" in body:
                    self.runtime.clock.set(datetime.fromisoformat(str(body["set"])))
                else:
                    raise ValueError("expected advance_seconds or set")
            except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
                return _json(400, {"error": "BadRequest", "message": str(exc)})
            await asyncio.to_thread(self.runtime.save_clock_offset)
            await asyncio.to_thread(self.scheduler.run_due)
        else:
            await asyncio.to_thread(self.runtime.load_clock_offset)
        return _json(200, {"now": self.runtime.clock.now().isoformat()})
