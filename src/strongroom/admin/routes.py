"""Strongroom's own endpoints under /_strongroom/: health, readiness, accounts, the test clock, reset."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import orjson

from strongroom import __version__
from strongroom.admin.accounts import create_account_route
from strongroom.devmode import markers
from strongroom.devmode.reset import reset_store
from strongroom.devmode.seed_file import SeedError
from strongroom.runtime import Runtime
from strongroom.scheduler import Scheduler
from strongroom.wire.http import HttpRequest, HttpResponse

ADMIN_PREFIX = "/_strongroom/"

log = logging.getLogger("strongroom.admin")


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
        if route == "ready" and request.method in ("GET", "HEAD"):
            return await self.ready()
        if route == "reset":
            return await self.reset(request)
        if route == "clock":
            return await self.clock(request)
        if route == "accounts":
            return await create_account_route(self.runtime, request)
        return _json(404, {"error": "NotFound", "message": f"No admin route {request.path}"})

    def health(self) -> HttpResponse:
        return _json(200, {
            "status": "ok",
            "version": __version__,
            "services": sorted(self.runtime.services),
        })

    async def ready(self) -> HttpResponse:
        """200 once the store is migrated, bootstrapped and seeded (and not in the middle of a reset)."""
        try:
            ready = await asyncio.to_thread(markers.is_ready, self.runtime.database)
        except Exception:
            log.exception("readiness could not be read from the store")
            ready = False
        if not ready:
            return _json(503, {"status": "starting"})
        # `services` in the shape LocalStack's /_localstack/health has, for clients that wait on it.
        return _json(200, {
            "status": "ready",
            "version": __version__,
            "services": {name: "running" for name in sorted(self.runtime.services)},
        })

    async def reset(self, request: HttpRequest) -> HttpResponse:
        """POST wipes the store back to its bootstrap and seed state; only with --enable-reset."""
        if not self.runtime.settings.reset_enabled:
            return _json(403, {"error": "Forbidden",
                               "message": "Reset is not enabled here: start the server with --enable-reset."})
        if request.method != "POST":
            return _json(405, {"error": "MethodNotAllowed", "message": "Reset takes POST."})
        try:
            generation = await asyncio.to_thread(reset_store, self.runtime)
        except SeedError as exc:
            return _json(500, {"error": "SeedFailed", "message": str(exc)})
        except Exception:
            log.exception("reset failed")
            return _json(500, {"error": "ResetFailed", "message": "The reset failed; see the server log."})
        return _json(200, {"status": "reset", "generation": generation})

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
