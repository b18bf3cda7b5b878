"""The ASGI application: AWS requests go through the pipeline, /_strongroom/ to the admin routes."""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from strongroom.admin.routes import ADMIN_PREFIX, AdminRoutes
from strongroom.pipeline import RequestPipeline
from strongroom.runtime import Runtime
from strongroom.scheduler import Scheduler
from strongroom.settings import Settings
from strongroom.wire.http import Headers, HttpRequest, HttpResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Larger bodies are refused before they are read in full.
MAX_BODY_BYTES = 16 * 1024 * 1024

log = logging.getLogger("strongroom")


class StrongroomApp:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pipeline = RequestPipeline(runtime)
        self.scheduler = Scheduler(runtime)
        self.admin = AdminRoutes(runtime, self.scheduler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await answer_asgi(self, scope, receive, send)

    async def respond(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        """The answer to one request, whichever way it arrived (see `Responder`)."""
        if request.path.startswith(ADMIN_PREFIX):
            return await self.admin.handle(request)
        return await self.pipeline.handle(request, source_ip)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.runtime.audit.start()
                self.scheduler.start()
                freeze_startup_heap()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.scheduler.aclose()
                await self.runtime.audit.aclose()
                self.runtime.database.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return


# Allocations between two young-generation collections (CPython's default is 700). A request makes
# a few hundred objects, nearly all freed by reference counting before any collection looks at them,
# so at 700 the collector ran every few requests to find almost nothing: under Encrypt load it held
# the interpreter ~2.7 % of the time (py-spy, native frames).
YOUNG_COLLECTION_THRESHOLD = 10_000


def freeze_startup_heap() -> None:
    """Keep what the worker built at start (service models, compiled validators, ~150,000 objects)
    out of the cyclic garbage collector's full collections, which would otherwise walk all of it
    and stall every request in flight for hundreds of milliseconds now and then; and collect the
    young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


class Responder(Protocol):
    """What answers requests: the app, or an app wrapping it. `strongroom serve` calls `respond`
    from its own HTTP connections (`strongroom.http_connection`); ASGI servers come through
    `answer_asgi`."""

    async def respond(self, request: HttpRequest, source_ip: str) -> HttpResponse: ...


async def answer_asgi(responder: Responder, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer an ASGI http request with `responder.respond`."""
    body = await _read_body(receive)
    if body is None:
        await _send(send, HttpResponse(413, [("Content-Type", "text/plain")], b"Request body too large"))
        return
    request = HttpRequest(
        method=scope["method"],
        path=scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0],
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=Headers.from_latin1(scope["headers"]),
        body=body,
    )
    client = scope.get("client")
    await _send(send, await responder.respond(request, client[0] if client else ""))


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, response: HttpResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if response.header("content-length") is None:
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


def create_app() -> StrongroomApp:
    """uvicorn's factory: every worker process builds its app from the settings in its environment."""
    return StrongroomApp(Runtime.open(Settings.from_environ()))
