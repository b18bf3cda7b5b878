"""The ASGI application: AWS requests go through the pipeline, /_strongroom/ to the admin routes."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from strongroom.admin.routes import ADMIN_PREFIX, AdminRoutes
from strongroom.auth.failures import AuthFailure
from strongroom.auth.sigv4 import read_claim
from strongroom.connections import RECEIVED
from strongroom.memory import return_large_blocks
from strongroom.pipeline import RequestPipeline
from strongroom.proxies import trusting
from strongroom.request_limits import SMALLEST_BODY_LIMIT, body_limit, too_large
from strongroom.runtime import Runtime
from strongroom.scheduler import Scheduler
from strongroom.settings import Settings
from strongroom.wire.http import Headers, HttpRequest, HttpResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

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
        """The answer to one request (see `Responder`)."""
        if request.path.startswith(ADMIN_PREFIX):
            return await self.admin.handle(request, source_ip)
        return await self.pipeline.handle(request, source_ip)

    def refuse_body(self, head: HttpRequest, size: int) -> HttpResponse | None:
        """The refusal of a `size`-byte body for the request `head` (its body not read yet), when
        larger than its service can carry (see `strongroom.request_limits`)."""
        if size <= SMALLEST_BODY_LIMIT:
            return None
        model = None
        if not head.path.startswith(ADMIN_PREFIX):
            try:
                claim = read_claim(head)
            except AuthFailure:
                claim = None
            model = self.pipeline.route(head, claim.service if claim else None)
        limit = body_limit(model)
        return too_large(model, limit) if size > limit else None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.runtime.audit.start()
                self.scheduler.start()
                return_large_blocks()
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
    """What answers requests: the app, or an app wrapping it (developer mode)."""

    async def respond(self, request: HttpRequest, source_ip: str) -> HttpResponse: ...

    def refuse_body(self, head: HttpRequest, size: int) -> HttpResponse | None: ...


async def answer_asgi(responder: Responder, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer an ASGI http request with `responder.respond`, once its body is read within its service's
    size limit (its deadline is the connection's, `strongroom.connections`)."""
    headers = Headers.from_latin1(scope["headers"])
    declared = headers.lowered.get("content-length")
    # A body no larger than every service's limit needs no look at which service it is for.
    if declared is not None and declared.isdigit() and int(declared) > SMALLEST_BODY_LIMIT:
        refusal = responder.refuse_body(_request(scope, headers), int(declared))
        if refusal is not None:  # before reading: no 100 Continue, none of the body kept
            await _send(send, refusal)
            return
    message = await receive()
    if message["type"] == "http.disconnect":
        return
    body: bytes = message.get("body", b"")
    if message.get("more_body", False) or len(body) > SMALLEST_BODY_LIMIT:
        whole = await _read_rest(receive, responder, _request(scope, headers), message)
        if whole is None:  # the client went away
            return
        if isinstance(whole, HttpResponse):
            await _send(send, whole)
            return
        body = whole
    # When the server read it (see `HttpRequest.received`), or now: both after its client sent it.
    request = _request(scope, headers, body, scope.get(RECEIVED) or time.monotonic())
    client = scope.get("client")
    await _send(send, await responder.respond(request, client[0] if client else ""))


def _request(scope: Scope, headers: Headers, body: bytes = b"", received: float = 0.0) -> HttpRequest:
    """The request the scope describes (without its body, when only its head is read)."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path is not None else scope["path"]
    return HttpRequest(scope["method"], path.split("?", 1)[0], scope.get("query_string", b"").decode("latin-1"),
                       headers, body, received)


async def _read_rest(
    receive: Receive, responder: Responder, head: HttpRequest, message: Message
) -> bytes | HttpResponse | None:
    """The whole body, of which `message` brought the first part; the refusal once it grows past its limit;
    None if the client disconnected."""
    body: bytes = message.get("body", b"")
    refusal = responder.refuse_body(head, len(body))  # a body sent without Content-Length
    if refusal is not None:
        return refusal
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        refusal = responder.refuse_body(head, size)
        if refusal is not None:
            return refusal
        chunks.append(chunk)
    body = b"".join(chunks)
    chunks.clear()
    return body


async def _send(send: Send, response: HttpResponse) -> None:
    # Responses never carry their own Content-Length: it is always the body's.
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]
    headers.append((b"content-length", b"%d" % len(response.body)))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """uvicorn's factory: every worker process builds its app from the settings in its environment."""
    settings = Settings.from_environ()
    return trusting(StrongroomApp(Runtime.open(settings)), settings.forwarded_allow_ips)
