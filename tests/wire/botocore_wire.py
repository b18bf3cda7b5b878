"""The HTTP request a botocore client would send for an operation, as an HttpRequest (a test oracle).

Parameters are serialized by botocore's own serializer for the service's protocol, then prepared
the way a client prepares them before signing, so the URL, headers and body are byte-for-byte what
goes on the wire (minus the signature, which the parser never reads).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.serialize import create_serializer

from strongroom.wire.http import Headers, HttpRequest
from strongroom.wire.specs import load_service, protocol_of


def to_http_request(
    service: str, op_name: str, params: dict[str, Any], endpoint: str = "https://example.amazonaws.com"
) -> HttpRequest:
    """The request botocore sends for `service`.`op_name`(**params)."""
    model = load_service(service)
    operation = model.operation_model(op_name)
    serializer = create_serializer(protocol_of(model), include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=endpoint)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = body.read()
    return HttpRequest(
        method=prepared.method,
        path=url.path or "/",
        query_string=url.query,
        headers=Headers(prepared.headers.items()),
        body=body,
    )
