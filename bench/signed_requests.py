"""N distinct real requests, serialized and SigV4-signed ahead of time by botocore, as raw HTTP/1.1 bytes.

wrk replays the bytes as they are, so the load generator does no signing or serializing while it
measures. (Named signed_requests, not requests, so it can never shadow the `requests` package.)
"""

from __future__ import annotations

import http.client
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.serialize import create_serializer

_SESSION = botocore.session.get_session()
# Headers we write ourselves when rendering the request line and framing.
_FRAMING = {"host", "content-length"}


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def raw(self) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def sign_all(
    endpoint: str, service: str, operation: str, params: Iterable[dict[str, Any]],
    key: str, secret: str, region: str,
) -> list[SignedRequest]:
    """Serialize each parameter set as botocore would for `service`.`operation` and sign it now."""
    model = _SESSION.get_service_model(service)
    operation_model = model.operation_model(operation)
    serializer = create_serializer(model.metadata["protocol"], include_validation=True)
    signer = SigV4Auth(Credentials(key, secret), model.signing_name, region)
    host = urlsplit(endpoint).netloc
    signed = []
    for values in params:
        request_dict = serializer.serialize_to_request(values, operation_model)
        prepare_request_dict(request_dict, endpoint_url=endpoint)
        request = create_request_object(request_dict)
        request.headers["Host"] = host
        request.headers["User-Agent"] = "strongroom-bench"
        signer.add_auth(request)
        prepared = request.prepare()
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = [("Host", host)]
        headers += [(k, v) for k, v in prepared.headers.items() if k.lower() not in _FRAMING]
        path = urlsplit(prepared.url).path or "/"
        query = urlsplit(prepared.url).query
        signed.append(SignedRequest(prepared.method, path + (f"?{query}" if query else ""), tuple(headers), body))
    return signed


def write_for_wrk(requests: list[SignedRequest], path: Path) -> None:
    """One record per request: its length in decimal, a newline, then the raw bytes (read by replay.lua)."""
    with path.open("wb") as out:
        for request in requests:
            raw = request.raw()
            out.write(f"{len(raw)}\n".encode() + raw)


def check_all(endpoint: str, requests: list[SignedRequest]) -> list[str]:
    """Send every request once; return a description of each that did not get a 2xx answer."""
    netloc = urlsplit(endpoint).netloc
    host, port = netloc.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    failures = []
    try:
        for number, request in enumerate(requests):
            connection.request(request.method, request.path, body=request.body, headers=dict(request.headers))
            reply = connection.getresponse()
            body = reply.read()
            if not 200 <= reply.status < 300:
                failures.append(f"request {number}: HTTP {reply.status} {body[:300]!r}")
    finally:
        connection.close()
    return failures
