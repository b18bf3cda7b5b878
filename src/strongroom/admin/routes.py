"""Strongroom's own endpoints under /_strongroom/: health, readiness, accounts, the test clock, reset."""

from __future__ import annotations

import asyncio
import logging

import orjson

from strongroom import __version__
from strongroom.admin.accounts import create_account_route
from strongroom.admin.clock import ClockRequestError, ClockWouldGoBack, move_clock
from strongroom.admin.operator import admin_json, admit_operator
from strongroom.devmode import markers
from strongroom.devmode.reset import reset_store
from strongroom.devmode.seed_file import SeedError
from strongroom.runtime import Runtime
from strongroom.scheduler import Scheduler
from strongroom.wire.http import HttpRequest, HttpResponse

ADMIN_PREFIX = "/_strongroom/"

log = logging.getLogger("strongroom.admin")


class AdminRoutes:
    def __init__(self, runtime: Runtime, scheduler: Scheduler) -> None:
        self.runtime = runtime
        self.scheduler = scheduler

    async def handle(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        route = request.path[len(ADMIN_PREFIX):].rstrip("/")
        if route == "health" and request.method in ("GET", "HEAD"):
            return self.health()
        if route == "ready" and request.method in ("GET", "HEAD"):
            return await self.ready()
        if route == "reset":
            return await self.reset(request, source_ip)
        if route == "clock":
            return await self.clock(request, source_ip)
        if route == "accounts":
            return await create_account_route(self.runtime, request, source_ip)
        return admin_json(404, {"error": "NotFound", "message": f"No admin route {request.path}"})

    def health(self) -> HttpResponse:
        return admin_json(200, {
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
            return admin_json(503, {"status": "starting"})
        # `services` in the shape LocalStack's /_localstack/health has, for clients that wait on it.
        return admin_json(200, {
            "status": "ready",
            "version": __version__,
            "services": {name: "running" for name in sorted(self.runtime.services)},
        })

    async def reset(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        """POST wipes the store back to its bootstrap and seed state; only with --enable-reset, and
        (outside --dev) only for the operator's root."""
        if not self.runtime.settings.reset_enabled:
            return admin_json(403, {"error": "Forbidden",
                               "message": "Reset is not enabled here: start the server with --enable-reset."})
        if request.method != "POST":
            return admin_json(405, {"error": "MethodNotAllowed", "message": "Reset takes POST."})
        caller = await admit_operator(self.runtime, request, source_ip, "reset the store", unsigned_in_dev=True)
        if isinstance(caller, HttpResponse):
            return caller
        try:
            generation = await asyncio.to_thread(reset_store, self.runtime, caller)
        except SeedError as exc:
            return admin_json(500, {"error": "SeedFailed", "message": str(exc)})
        except Exception:
            log.exception("reset failed")
            return admin_json(500, {"error": "ResetFailed", "message": "The reset failed; see the server log."})
        return admin_json(200, {"status": "reset", "generation": generation})

    async def clock(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        """GET reads business time; POST {"advance_seconds": N} or {"set": ISO-8601} moves it. Only with
        --enable-clock-control (or --dev), and (outside --dev) only for the operator's root.

        After a move, every scheduled task runs once before the answer, so what fell due has happened.
        """
        if not self.runtime.settings.clock_control:
            return admin_json(403, {"error": "Forbidden", "message": "The server clock is not controllable here."})
        caller = await admit_operator(self.runtime, request, source_ip, "move the clock", unsigned_in_dev=True)
        if isinstance(caller, HttpResponse):
            return caller
        if request.method == "POST":
            try:
                body = orjson.loads(request.body or b"{}")
                now = await asyncio.to_thread(move_clock, self.runtime, body, caller)
            except (ClockRequestError, orjson.JSONDecodeError) as exc:
                return admin_json(400, {"error": "BadRequest", "message": str(exc)})
            except ClockWouldGoBack as exc:
                return admin_json(409, {"error": "ClockWouldGoBack", "message": str(exc)})
            await asyncio.to_thread(self.scheduler.run_due)
            return admin_json(200, {"now": now.isoformat()})
        await asyncio.to_thread(self.runtime.load_clock_offset)
        return admin_json(200, {"now": self.runtime.clock.now().isoformat()})
