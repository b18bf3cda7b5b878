"""HTTP/1.1 connections of `strongroom serve`: requests parsed by httptools (llhttp), each handed to
the app's `respond` as an `HttpRequest`, each answer written with one write.

uvicorn still runs the server (sockets, worker processes, signals, the app's lifespan, the Date
header) and creates one `HttpConnection` per client connection; only the per-request path skips
ASGI: no scope or message dicts, no header lists rebuilt twice, and the status line, headers and
body leave in one send instead of two (each send to a waiting client costs a wake-up of it).

Requests on one connection are answered in order (pipelining is allowed); keep-alive connections
close after `timeout_keep_alive` seconds idle, as uvicorn's own protocols do.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import ipaddress
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, cast

import httptools

from strongroom.app import MAX_BODY_BYTES, Responder
from strongroom.wire.http import Headers, HttpRequest, HttpResponse

if TYPE_CHECKING:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

log = logging.getLogger("strongroom.http")

# Request line and headers together; larger ones are refused (431) before any of it is kept.
MAX_HEAD_BYTES = 64 * 1024
# Pipelined requests waiting for their answers on one connection before reading pauses.
MAX_QUEUED_REQUESTS = 16


def _status_line(code: int) -> bytes:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {code} {phrase}\r\n".encode("ascii")


STATUS_LINES = {code: _status_line(code) for code in range(100, 600)}
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_FORBIDDEN_IN_HEADERS = ("\r", "\n", "\x00")


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode())


class TrustedProxies:
    """The peers whose X-Forwarded-For names the real client (`strongroom serve --forwarded-allow-ips`):
    addresses and networks, or "*" for any. Nobody by default: otherwise any client could choose the
    source address that audit records and aws:SourceIp conditions see."""

    def __init__(self, spec: str | list[str] | None) -> None:
        entries = [part.strip() for part in (spec.split(",") if isinstance(spec, str) else spec or [])]
        self.anyone = "*" in entries
        self._networks = [ipaddress.ip_network(entry, strict=False) for entry in entries if entry and entry != "*"]

    def __bool__(self) -> bool:
        return self.anyone or bool(self._networks)

    def __contains__(self, host: str) -> bool:
        if self.anyone:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the nearest X-Forwarded-For entry not itself a trusted proxy, when the
        peer is one; the peer otherwise."""
        if not forwarded_for or peer not in self:
            return peer
        hops = [_host_of(hop.strip()) for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if hop and hop not in self:
                return hop
        return hops[0] or peer


def _host_of(hop: str) -> str:
    """An X-Forwarded-For entry without its port: "192.0.2.1:443", "[2001:db8::1]:443", "2001:db8::1"."""
    if hop.startswith("["):
        return hop[1:hop.find("]")] if "]" in hop else hop
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


def find_responder(app: Any) -> Responder:
    """The app's `Responder` under whatever uvicorn wrapped around it (its middleware keeps `.app`)."""
    seen = 0
    while not hasattr(app, "respond"):
        app = getattr(app, "app", None)
        seen += 1
        if app is None or seen > 8:
            raise TypeError("strongroom.http_connection serves apps with a `respond` method (strongroom.app)")
    return app  # type: ignore[no-any-return]


class HttpConnection(asyncio.Protocol):
    """One client connection; created by uvicorn (`Config(http=HttpConnection)`) with its config and state."""

    def __init__(
        self, config: Config, server_state: ServerState, app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.responder = find_responder(config.loaded_app)
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.keep_alive_timeout = config.timeout_keep_alive
        self.proxies = _proxies(config)
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        # Parsed requests waiting for their answers, each with whether the connection stays open after it.
        self.queue: deque[tuple[HttpRequest | HttpResponse, bool]] = deque()
        self.busy = False  # a task is answering `queue`
        self.closing = False  # answer what is queued, then close
        self.stopped = False  # a request could not be read: nothing more is read from this connection
        self.reading_paused = False
        # Idle since (loop time) when no request is being read or answered; one timer checks it.
        self.idle_since: float | None = None
        self.idle_timer: asyncio.TimerHandle | None = None
        self.received = 0.0  # when the last bytes were read (see `HttpRequest.received`)
        self.write_ready: asyncio.Event | None = None  # set while writes are paused
        # The request being parsed.
        self.url = b""
        self.head_size = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.body_size = 0
        self.content_length: int | None = None
        self.expects_continue = False

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's TCPTransport is one, not a subclass
        self.server_state.connections.add(self)  # type: ignore[arg-type]
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) and peer else ""

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        self.closing = True
        self._cancel_idle_timer()
        if self.write_ready is not None:
            self.write_ready.set()

    def eof_received(self) -> bool | None:
        # A client that half-closes after its request still gets the answer; then the connection closes.
        self.closing = True
        if self.busy:
            return True
        return None

    def data_received(self, data: bytes) -> None:
        if self.stopped:
            return
        self.idle_since = None
        self.received = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No protocol upgrades here: what was asked before the upgrade is answered over HTTP/1.1.
            self.closing = True
        except httptools.HttpParserError:
            if not self.stopped:
                self._refuse(_plain(400, "Invalid HTTP request received."))
            return
        if len(self.queue) >= MAX_QUEUED_REQUESTS:
            self._pause_reading()
        self._serve()

    def pause_writing(self) -> None:
        self.write_ready = asyncio.Event()

    def resume_writing(self) -> None:
        if self.write_ready is not None:
            self.write_ready.set()
            self.write_ready = None

    # --- uvicorn's server ----------------------------------------------------------------------

    def shutdown(self) -> None:
        """Graceful shutdown: close now if idle, else after the answers already asked for."""
        self.closing = True
        if not self.busy and self.transport is not None:
            self.transport.close()

    # --- httptools parser callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.head_size = 0
        self.raw_headers = []
        self.body = []
        self.body_size = 0
        self.content_length = None
        self.expects_continue = False

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_size += len(url)
        if self.head_size > MAX_HEAD_BYTES:
            self._refuse_head()

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp keeps trailing whitespace, which is not part of a field value (RFC 9110 5.5).
        value = value.rstrip(b" \t")
        self.raw_headers.append((name, value))
        self.head_size += len(name) + len(value)
        if self.head_size > MAX_HEAD_BYTES:
            self._refuse_head()
        elif len(name) == 14 and name.lower() == b"content-length":
            with contextlib.suppress(ValueError):  # llhttp refuses the request itself then
                self.content_length = int(value)
        elif len(name) == 6 and name.lower() == b"expect":
            self.expects_continue = value.lower() == b"100-continue"

    def on_headers_complete(self) -> None:
        if self.stopped:
            return
        if self.content_length is not None and self.content_length > MAX_BODY_BYTES:
            self._refuse(_plain(413, "Request body too large"))
        elif self.expects_continue and self.transport is not None:
            self.transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self.stopped:
            return
        self.body_size += len(body)
        if self.body_size > MAX_BODY_BYTES:
            self.body = []
            self._refuse(_plain(413, "Request body too large"))
            return
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.stopped:
            return
        try:
            request = self._request()
        except ValueError:
            self._refuse(_plain(400, "Invalid request target."))
            return
        self.queue.append((request, bool(self.parser.should_keep_alive())))

    # --- answering ------------------------------------------------------------------------------

    def _request(self) -> HttpRequest:
        url = self.url
        if url.startswith(b"/"):
            path, _, query = url.partition(b"?")
        else:  # absolute-form ("POST http://host/path HTTP/1.1") or "*"
            try:
                parsed = httptools.parse_url(url)
            except httptools.HttpParserInvalidURLError as exc:
                raise ValueError("invalid request target") from exc
            path, query = parsed.path or b"/", parsed.query or b""
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        return HttpRequest(
            self.parser.get_method().decode("ascii"),
            path.decode("latin-1"),
            query.decode("latin-1"),
            Headers.from_latin1(self.raw_headers),
            body,
            self.received,
        )

    def _serve(self) -> None:
        if self.queue and not self.busy:
            self.busy = True
            task = self.loop.create_task(self._answer_queue())
            tasks = self.server_state.tasks
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _answer_queue(self) -> None:
        transport = self.transport
        assert transport is not None
        try:
            while self.queue:
                asked, keep_alive = self.queue.popleft()
                if isinstance(asked, HttpResponse):
                    response, method = asked, "GET"
                else:
                    response, method = await self._answer(asked), asked.method
                keep_alive = keep_alive and not (self.closing and not self.queue)
                if self.write_ready is not None:
                    await self.write_ready.wait()
                if transport.is_closing():
                    return
                defaults, head = self.server_state.default_headers, method == "HEAD"
                try:
                    answer = encode_response(response, defaults, head=head, keep_alive=keep_alive)
                except ValueError:
                    log.exception("an answer could not be encoded")
                    keep_alive, self.closing = False, True
                    answer = encode_response(_plain(500, "Internal Server Error"), defaults, head=head,
                                             keep_alive=False)
                transport.write(answer)
                self.server_state.total_requests += 1
                if not keep_alive:
                    transport.close()
                    return
                if self.reading_paused and len(self.queue) < MAX_QUEUED_REQUESTS and not self.stopped:
                    self.reading_paused = False
                    transport.resume_reading()
        finally:
            self.busy = False
        if self.closing:
            transport.close()
        elif not transport.is_closing():
            self.idle_since = self.loop.time()
            if self.idle_timer is None:
                self.idle_timer = self.loop.call_later(self.keep_alive_timeout, self._close_idle)

    async def _answer(self, request: HttpRequest) -> HttpResponse:
        peer = self.peer
        source_ip = self.proxies.client(peer, request.headers.lowered.get("x-forwarded-for")) if self.proxies else peer
        try:
            return await self.responder.respond(request, source_ip)
        except Exception:
            log.exception("a request could not be answered")
            self.closing = True
            return _plain(500, "Internal Server Error")

    def _refuse(self, response: HttpResponse) -> None:
        """Answer a request that cannot be read with `response`, after anything asked before it, and
        close: nothing more is read from the connection (the rest of that request is not waited for)."""
        self.stopped = True
        self._pause_reading()
        self.queue.append((response, False))
        self._serve()

    def _pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def _refuse_head(self) -> None:
        if not self.stopped:
            self.raw_headers = []
            self._refuse(_plain(431, "Request header fields too large"))

    def _close_idle(self) -> None:
        """Close the connection once idle for `keep_alive_timeout`; a connection busy meanwhile is
        checked again when that time has passed since it last went idle."""
        self.idle_timer = None
        if self.transport is None or self.transport.is_closing():
            return
        since = self.idle_since
        if since is None:  # reading or answering: go idle will start the wait again
            return
        left = since + self.keep_alive_timeout - self.loop.time()
        if left > 0:
            self.idle_timer = self.loop.call_later(left, self._close_idle)
        else:
            self.transport.close()

    def _cancel_idle_timer(self) -> None:
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None


def encode_response(
    response: HttpResponse, default_headers: list[tuple[bytes, bytes]], *, head: bool, keep_alive: bool
) -> bytes:
    """The answer as sent: status line, the server's default headers (Date), the response's own
    headers, its Content-Length (always the body's own length) and, unless `head`, the body.
    Raises ValueError for a header holding a line break or NUL, which would split the answer."""
    lines = [STATUS_LINES.get(response.status) or _status_line(response.status)]
    for default_name, default_value in default_headers:
        lines += (default_name, b": ", default_value, b"\r\n")
    text = []
    for name, value in response.headers:
        if name.lower() == "content-length":
            continue
        for forbidden in _FORBIDDEN_IN_HEADERS:
            if forbidden in name or forbidden in value:
                raise ValueError(f"response header {name!r} holds a line break or NUL")
        text.append(f"{name}: {value}\r\n")
    lines.append("".join(text).encode("latin-1"))
    lines.append(b"content-length: %d\r\n" % len(response.body))
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    if not head:
        lines.append(response.body)
    return b"".join(lines)


def _proxies(config: Config) -> TrustedProxies:
    return TrustedProxies(config.forwarded_allow_ips if config.proxy_headers else None)
