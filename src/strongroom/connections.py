"""The HTTP/1.1 connections of `strongroom serve`: uvicorn's own httptools protocol, with what it does
not bound itself.

- A request head must arrive whole within `header_timeout` seconds of its first byte (408, then
  closed), and a new connection must start one within that time: a client that never finishes its
  head does not keep a socket. On a keep-alive connection the check may come one period late.
- A head larger than `max_head_bytes` is refused (431) as soon as that many bytes of it arrived,
  give or take one read, instead of being buffered whole.
- At most `max_connections` connections per worker, below the process's file-descriptor limit: a
  new connection beyond that closes the one that has waited longest without a request being answered
  (idle, or still sending its head), so that silent connections cannot lock others out. Only when
  every connection has a request in progress is the new one refused (503).
- A request body must arrive whole within `body_timeout` seconds of its turn (the app reads it then;
  a pipelined request waits for the answers before it): 408, then closed.

- An answer's head and body, which uvicorn writes apart, leave in one write.
- A refused client still sending gets its answer and a FIN, and its input is dropped for a moment
  before the socket closes (closing with unread input would make the kernel reset the connection
  and lose the answer).

Idle keep-alive connections close after uvicorn's `timeout_keep_alive`; the app refuses bodies over
their service's size limit (`strongroom.request_limits`). Only the asyncio and httptools callbacks of
uvicorn's protocol are extended, and its `on_response_complete`, called once per answer.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from strongroom.settings import Settings

# File descriptors kept for everything but client connections: the store's pooled connections (three
# files each for SQLite in WAL mode), the audit writer's, the event loop's and the log's.
RESERVED_DESCRIPTORS = 96


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float
    body_timeout: float
    max_head_bytes: int
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        limits = settings.http
        allowed = limits.max_connections
        if soft != resource.RLIM_INFINITY:
            allowed = min(allowed, max(soft - RESERVED_DESCRIPTORS, 1))
        return cls(limits.header_timeout, limits.body_timeout, limits.max_head_bytes, allowed)


def _status(code: int, reason: str, text: str) -> bytes:
    body = text.encode("ascii")
    return (b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (code, reason.encode("ascii"), len(body), body))


REQUEST_TIMEOUT = _status(408, "Request Timeout", "The request was not received in time.")
HEAD_TOO_LARGE = _status(431, "Request Header Fields Too Large", "Request header fields too large.")
TOO_MANY_CONNECTIONS = _status(503, "Service Unavailable", "Too many connections.")


# The scope key holding when the request was read (see GuardedHttpToolsProtocol.on_headers_complete).
RECEIVED = "strongroom.received"

# Seconds a refused client may go on sending (discarded) after its answer, before the socket closes.
LINGER_SECONDS = 2.0


class ConnectionTransport:
    """The transport as uvicorn sees it: closed through the connection (`GuardedHttpToolsProtocol.close`),
    and an answer's head and body sent in one write (see `write`)."""

    def __init__(self, transport: asyncio.Transport, connection: GuardedHttpToolsProtocol) -> None:
        self._transport = transport
        self._connection = connection
        self.pending: list[bytes] = []
        self.close = connection.close
        # What uvicorn calls on every request, bound once (a __getattr__ per call costs).
        self.is_closing = transport.is_closing
        self.pause_reading = transport.pause_reading
        self.resume_reading = transport.resume_reading
        self.get_extra_info = transport.get_extra_info

    def write(self, data: bytes) -> None:
        """uvicorn writes an answer's head and its body apart: while no request body is awaited, they
        wait here for the answer's end (`flush`), and leave in one send to the client, not two."""
        if self._connection.reading_body:  # 100 Continue, or an answer before the body was read
            self.flush()
            self._transport.write(data)
        else:
            self.pending.append(data)

    def flush(self) -> None:
        if self.pending:
            data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
            self.pending.clear()
            self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OpenConnections:
    """This worker's connections, those waiting for a request head in the order they began waiting."""

    def __init__(self) -> None:
        self.count = 0
        self.waiting: OrderedDict[GuardedHttpToolsProtocol, None] = OrderedDict()
        self._limits: ConnectionLimits | None = None

    @property
    def limits(self) -> ConnectionLimits:
        # Read once per worker, in the worker: the settings travel in its environment.
        if self._limits is None:
            self._limits = ConnectionLimits.of(Settings.from_environ())
        return self._limits

    def make_room(self) -> bool:
        """Close the longest-waiting connection when over the limit; False when none can be closed."""
        if self.count <= self.limits.max_connections:
            return True
        if not self.waiting:
            return False
        oldest, _ = self.waiting.popitem(last=False)
        oldest.drop()
        return True


OPEN = OpenConnections()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (`Config(http=...)`) within the bounds above."""

    def __init__(
        self, config: Config, server_state: ServerState, app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = OPEN.limits
        self.socket: asyncio.Transport | None = None
        # One timer per connection, checking every header_timeout (not one per request).
        self.watchdog: asyncio.TimerHandle | None = None
        self.connected_at = 0.0
        self.head_started = 0.0  # loop time of the first byte of the head being read
        self.body_started = 0.0  # loop time the body of the request being answered began to be awaited
        self.in_head = False
        self.head_bytes = 0  # of the head being read, as far as known
        self.reading_body = False
        self.heads = 0  # request heads read whole
        self.unanswered = 0  # requests whose heads arrived and whose responses are not complete
        self.counted = False  # in OPEN.count: from connection_made until closed
        self.eof = False
        self.lingering = False
        self.read_at = 0.0  # time.monotonic() of the last read
        self.writer: ConnectionTransport

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.socket = transport
        self.writer = ConnectionTransport(transport, self)
        super().connection_made(self.writer)  # type: ignore[arg-type]
        OPEN.count += 1
        self.counted = True
        if not OPEN.make_room():
            transport.write(TOO_MANY_CONNECTIONS)
            self.drop()
            return
        self._wait()
        self.connected_at = self.loop.time()
        self._watch(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._uncount()
        if self.watchdog is not None:
            self.watchdog.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        self.read_at = time.monotonic()
        in_body = self.reading_body
        if not in_body and self.head_bytes + len(data) > self.limits.max_head_bytes:
            # This read continues a head or starts one (nothing else is in progress): it is all head
            # up to its blank line.
            end = data.find(b"\r\n\r\n")
            if end < 0 or self.head_bytes + end + 4 > self.limits.max_head_bytes:
                self._refuse(HEAD_TOO_LARGE)
                return
        heads = self.heads
        HttpToolsProtocol.data_received(self, data)
        if self.in_head:
            # A head begun after another request within this read is counted from the next read on:
            # at most one read more of it is kept.
            begun_within = in_body or self.heads != heads
            self.head_bytes = 0 if begun_within else self.head_bytes + len(data)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        # A client that half-closes after its request still gets the answer; then the connection closes.
        self.eof = True
        return True if self.unanswered else None

    # (uvicorn's own callbacks are called by name, not through super(): a little less work per request.)

    # --- httptools parser callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        HttpToolsProtocol.on_message_begin(self)
        self.in_head, self.head_bytes, self.head_started = True, 0, self.loop.time()

    def on_headers_complete(self) -> None:
        self.in_head, self.head_bytes, self.reading_body = False, 0, True
        self.heads += 1
        OPEN.waiting.pop(self, None)
        self.unanswered += 1
        if self.unanswered == 1:  # its turn: the app reads its body now
            self.body_started = self.loop.time()
        HttpToolsProtocol.on_headers_complete(self)
        # When the request's head was read (after its first byte: every change its client saw
        # committed before it sent it was committed before then): see `HttpRequest.received`.
        self.scope[RECEIVED] = self.read_at  # type: ignore[literal-required]

    def on_message_complete(self) -> None:
        self.reading_body = False
        HttpToolsProtocol.on_message_complete(self)

    # --- uvicorn's cycle ------------------------------------------------------------------------

    def on_response_complete(self) -> None:
        self.writer.flush()
        self.unanswered -= 1
        if self.unanswered == 0:
            if self.eof:
                self.close()
            self._wait()
        elif self.unanswered == 1 and self.reading_body:  # a pipelined request's turn has come
            self.body_started = self.loop.time()
        HttpToolsProtocol.on_response_complete(self)

    # --- bounds ---------------------------------------------------------------------------------

    def close(self, *, refused: bool = False) -> None:
        """Close; while the client may still be sending a request (a refused body or head), first send
        the answer and a FIN, and drop what still comes for a moment: closing a socket with unread
        input makes the kernel reset the connection and throw the answer away."""
        # Uncounted now, not when the transport reports the loss: the next connection made in the
        # same burst must not close another one for this one.
        self._uncount()
        socket = self.socket
        if socket is None or socket.is_closing() or self.lingering:
            return
        self.writer.flush()
        if (refused or self.reading_body or self.in_head) and not self.eof and socket.can_write_eof():
            self.lingering = True
            socket.write_eof()
            socket.resume_reading()
            self.loop.call_later(LINGER_SECONDS, socket.close)
        else:
            socket.close()

    def drop(self) -> None:
        """Close at once: nothing is being answered (idle, or still sending its head)."""
        self._uncount()
        if self.socket is not None and not self.socket.is_closing():
            self.socket.close()

    def _uncount(self) -> None:
        if self.counted:
            self.counted = False
            OPEN.count -= 1
        OPEN.waiting.pop(self, None)

    def _wait(self) -> None:
        if self.counted:
            OPEN.waiting[self] = None

    def _watch(self, delay: float) -> None:
        self.watchdog = self.loop.call_later(delay, self._check_deadlines)

    def _check_deadlines(self) -> None:
        """A head still unfinished `header_timeout` after its first byte, or a body `body_timeout`
        after its turn came, is refused (408); a connection that sent nothing `header_timeout` after it
        opened is closed. Checked every `header_timeout` and when a deadline seen falls due: one begun
        after a check waits at most one period more."""
        limits, now = self.limits, self.loop.time()
        left = limits.header_timeout
        if self.in_head:
            left = self.head_started + limits.header_timeout - now
        elif self.reading_body and self.unanswered == 1:
            left = self.body_started + limits.body_timeout - now
        elif self.heads == 0:
            left = self.connected_at + limits.header_timeout - now
            if left <= 0:
                self.drop()
                return
        if left > 0:
            self._watch(min(left, limits.header_timeout))
        elif self.in_head:
            self._refuse(REQUEST_TIMEOUT)
        else:
            # The app is waiting for this body and has answered nothing: the 408 is its answer (the
            # app's own read ends when the connection is gone).
            self._refuse(REQUEST_TIMEOUT, unanswered=1)

    def _refuse(self, answer: bytes, unanswered: int = 0) -> None:
        """Answer a request that cannot be read and close; with an earlier request still being answered
        (more than `unanswered`), just close: the answer would not be in its place."""
        socket = self.socket
        if socket is None or socket.is_closing() or self.lingering:
            return
        if self.unanswered == unanswered:
            socket.write(answer)
        self.close(refused=True)
