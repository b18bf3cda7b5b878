"""The ceiling: a bare ASGI app answering every request with a fixed JSON body, doing no work at all.

Served by uvicorn with uvloop, one worker, no access log: with uvicorn's plain httptools protocol it
is the ceiling the targets are measured against (what one Python worker on this machine does with no
work per request); with the protocol `strongroom serve` uses (`strongroom.connections`, uvicorn's
httptools protocol within Strongroom's connection bounds) it is the floor of Strongroom's own serving
path, shown beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]

BODY = b'{"KeyId":"ceiling","CiphertextBlob":"AAAA","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}'
HEADERS = [
    (b"content-type", b"application/x-amz-json-1.1"),
    (b"content-length", str(len(BODY)).encode()),
]


Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


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

