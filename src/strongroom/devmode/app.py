"""The application as served with --dev or --enable-reset: the usual one, plus

- following resets: before each AWS request, a worker reads the store's reset generation (one
  primary-key read, only on servers started with --enable-reset) and, when another worker has reset
  the store since, drops its caches first, so no worker serves a wiped key;
- the paths that LocalStack's and moto's clients call, as aliases of Strongroom's own endpoints.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

from strongroom.admin.routes import ADMIN_PREFIX
from strongroom.app import Receive, Scope, Send, StrongroomApp, answer_asgi
from strongroom.devmode import markers
from strongroom.devmode.caches import forget_cached_state
from strongroom.proxies import trusting
from strongroom.runtime import Runtime
from strongroom.settings import Settings
from strongroom.wire.http import HttpRequest, HttpResponse

# Compatible paths: each answers exactly what the Strongroom endpoint it names answers.
ALIASES = {
    "/_localstack/state/reset": "/_strongroom/reset",
    "/moto-api/reset": "/_strongroom/reset",
    "/_localstack/health": "/_strongroom/ready",
}


class DeveloperApp:
    def __init__(self, app: StrongroomApp) -> None:
        self.app = app
        self.runtime = app.runtime
        self._generation = markers.reset_generation(self.runtime.database)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await answer_asgi(self, scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def respond(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        """`StrongroomApp.respond`, with the aliases and resets above."""
        alias = ALIASES.get(request.path.rstrip("/"))
        if alias is not None:
            request = dataclasses.replace(request, path=alias)
        elif self.runtime.settings.reset_enabled and not request.path.startswith(ADMIN_PREFIX):
            await self._follow_resets()
        return await self.app.respond(request, source_ip)

    def refuse_body(self, head: HttpRequest, size: int) -> HttpResponse | None:
        return self.app.refuse_body(head, size)

    async def _follow_resets(self) -> None:
        generation = await asyncio.to_thread(markers.reset_generation, self.runtime.database)
        if generation != self._generation:
            forget_cached_state(self.runtime)
            self._generation = generation


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """uvicorn's factory for --dev and --enable-reset servers (see strongroom.app.create_app)."""
    settings = Settings.from_environ()
    return trusting(DeveloperApp(StrongroomApp(Runtime.open(settings))), settings.forwarded_allow_ips)
