"""The ceilings: a bare app answering every request with a fixed JSON body, doing no work at all.

`app` is the ceiling the targets are measured against: a bare ASGI app under uvicorn with
uvloop and httptools, one worker, no access log (what one Python worker on this machine does
with no work per request). `direct` answers the same body through Strongroom's own HTTP
connections (`strongroom.http_connection`), which `strongroom serve` uses: the floor of
Strongroom's own serving path, shown beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from strongroom.wire.http import HttpRequest, HttpResponse

Message = MutableMapping[str, Any]

BODY = b'{"KeyId":"ceiling","CiphertextBlob":"AAAA","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}'
HEADERS = [
    (b"content-type", b"application/x-amz-json-1.1"),
    (b"content-length", str(len(BODY)).encode()),
]


RESPONSE = HttpResponse(200, [("content-type", "application/x-amz-json-1.1")], BODY)

Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class DirectCeiling:
    """The fixed answer through `strongroom.http_connection` (its `respond`); no lifespan."""

    async def respond(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        return RESPONSE

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        return None


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    # Read the whole body, as any real server must before answering.
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] != "http.disconnect"
    status = 200 if scope["method"] in ("POST", "GET") else 405
    await send({"type": "http.response.start", "status": status, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


direct = DirectCeiling()
