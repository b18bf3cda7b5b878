"""The query protocol (IAM, STS): `<OpResponse><OpResult>...</OpResult><ResponseMetadata>` documents.

Errors are `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`, with the
model's awsQueryError code (e.g. IAM's `NoSuchEntity` for `NoSuchEntityException`) as the code.
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from strongroom.errors import ServiceError
from strongroom.wire.http import HttpResponse
from strongroom.wire.serialize.cache import PerService
from strongroom.wire.serialize.errors import resolve
from strongroom.wire.serialize.scalars import xml_text
from strongroom.wire.serialize.xml_body import XmlPlanner, namespace_declaration, write_untyped

_CONTENT_TYPE = "text/xml"

_planner = PerService(XmlPlanner)


def _headers(request_id: str, extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
    headers = [("Content-Type", _CONTENT_TYPE), ("x-amzn-RequestId", request_id)]
    if extra:
        headers.extend(extra.items())
    return headers


def query_response(
    service: ServiceModel, operation: OperationModel, output: dict[str, Any], request_id: str
) -> HttpResponse:
    root = f"{operation.name}Response"
    namespace = namespace_declaration(service.metadata.get("xmlNamespace"))
    parts = [f"<{root}{namespace}>"]
    shape = operation.output_shape
    if shape is not None:
        children = _planner(service).children(shape)
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            parts.append(f"<{wrapper}>")
            children(parts, output)
            parts.append(f"</{wrapper}>")
        else:
            children(parts, output)
    parts.append(f"<ResponseMetadata><RequestId>{xml_text(request_id)}</RequestId></ResponseMetadata></{root}>")
    return HttpResponse(200, _headers(request_id), "".join(parts).encode("utf-8"))


def query_error(service: ServiceModel, error: ServiceError, request_id: str) -> HttpResponse:
    facts = resolve(service, error)
    namespace = namespace_declaration(service.metadata.get("xmlNamespace"))
    fault = "Sender" if error.sender_fault else "Receiver"
    parts = [f"<ErrorResponse{namespace}><Error><Type>{fault}</Type><Code>{xml_text(facts.query_code)}</Code>"]
    if error.message is not None:
        parts.append(f"<Message>{xml_text(error.message)}</Message>")
    if facts.members:
        unmodeled = dict(facts.members)
        if facts.shape is not None:
            _planner(service).children(facts.shape)(parts, facts.members)
            for name in facts.shape.members:
                unmodeled.pop(name, None)
        write_untyped(parts, unmodeled)
    parts.append(f"</Error><RequestId>{xml_text(request_id)}</RequestId></ErrorResponse>")
    return HttpResponse(facts.status, _headers(request_id, error.headers), "".join(parts).encode("utf-8"))
