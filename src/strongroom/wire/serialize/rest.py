"""The rest-json and rest-xml protocols: status, headers and a payload or document body.

The status is the operation's `http.responseCode` (200 by default) unless a `statusCode` member says
otherwise. A `payload` member is the whole body (raw for blobs and strings, else a document); without one,
the remaining members form a JSON object or an XML document. Errors: rest-json names the code in the
`x-amzn-ErrorType` header; rest-xml answers S3's `<Error><Code/><Message/><RequestId/></Error>`.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from typing import Any

from botocore.model import OperationModel, ServiceModel, StructureShape

from strongroom.errors import ServiceError
from strongroom.wire.http import HttpResponse
from strongroom.wire.serialize import awsjson
from strongroom.wire.serialize.cache import PerService
from strongroom.wire.serialize.errors import resolve
from strongroom.wire.serialize.json_body import dump
from strongroom.wire.serialize.rest_binding import RestBinding, binding
from strongroom.wire.serialize.scalars import blob_bytes, xml_text
from strongroom.wire.serialize.xml_body import XmlPlanner, namespace_declaration, write_untyped

_JSON = "application/json"
_XML = "application/xml"
# HTTP forbids a body on these, whatever the output shape holds (e.g. 204 for DeleteBucket).
_BODILESS_STATUSES = frozenset({204, 205, 304})
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

_xml_planner = PerService(XmlPlanner)


def _document_namespace(service: ServiceModel) -> Any:
    """The namespace of the service's XML documents: from its metadata, else the one its payloads declare."""
    declared = service.metadata.get("xmlNamespace")
    if declared:
        return declared
    seen: Counter[str] = Counter()
    for name in service.operation_names:
        shape = service.operation_model(name).input_shape
        if shape is None:
            continue
        for member in shape.members.values():
            namespace = member.serialization.get("xmlNamespace")
            if isinstance(namespace, dict) and "uri" in namespace and "prefix" not in namespace:
                seen[namespace["uri"]] += 1
    return seen.most_common(1)[0][0] if seen else None


_namespace_of = PerService(lambda service: namespace_declaration(_document_namespace(service)))


def _raw_payload(value: Any) -> bytes:
    return blob_bytes(value)


def _json_body(service: ServiceModel, shape: StructureShape, bound: RestBinding, output: dict[str, Any]) -> bytes:
    planner = awsjson.planner(service)
    if bound.payload_member is None:
        return dump(planner.structure(shape, body_only=True)(output))
    value = output.get(bound.payload_member)
    if value is None:
        return b""
    assert bound.payload_shape is not None
    converter = planner.converter(bound.payload_shape)
    return dump(value if converter is None else converter(value))


def _xml_body(service: ServiceModel, shape: StructureShape, bound: RestBinding, output: dict[str, Any]) -> bytes:
    planner = _xml_planner(service)
    if bound.payload_member is None:
        if not any(output.get(name) is not None for name in bound.body_members):
            return b""
        root = shape.serialization.get("name", shape.name)
        namespace = namespace_declaration(shape.serialization.get("xmlNamespace")) or _namespace_of(service)
        parts = [f"{_XML_DECLARATION}<{root}{namespace}>"]
        planner.children(shape, body_only=True)(parts, output)
        parts.append(f"</{root}>")
        return "".join(parts).encode("utf-8")
    value = output.get(bound.payload_member)
    if value is None:
        return b""
    payload_shape = bound.payload_shape
    assert isinstance(payload_shape, StructureShape)
    root = payload_shape.serialization.get("name", payload_shape.name)
    namespace = namespace_declaration(payload_shape.serialization.get("xmlNamespace")) or _namespace_of(service)
    parts = [f"{_XML_DECLARATION}<{root}{namespace}"]
    attributes = planner.attributes(payload_shape)
    parts.append((attributes(value) if attributes is not None else "") + ">")
    planner.children(payload_shape)(parts, value)
    parts.append(f"</{root}>")
    return "".join(parts).encode("utf-8")


def _host_id(request_id: str) -> str:
    """rest-xml (S3) names each request twice: its id and an opaque extended "host id" derived from it."""
    return base64.b64encode(hashlib.sha256(request_id.encode("utf-8")).digest()).decode("ascii")


def _request_id_headers(xml: bool, request_id: str) -> list[tuple[str, str]]:
    if not xml:
        return [("x-amzn-RequestId", request_id)]
    return [("x-amz-request-id", request_id), ("x-amz-id-2", _host_id(request_id))]


def rest_response(
    service: ServiceModel, operation: OperationModel, output: dict[str, Any], request_id: str, *, xml: bool
) -> HttpResponse:
    status = int(operation.http.get("responseCode", 200))
    headers = _request_id_headers(xml, request_id)
    shape = operation.output_shape
    if shape is None:
        return HttpResponse(status, headers, b"")
    bound = binding(service, shape)
    if bound.payload_shape is not None and bound.payload_shape.serialization.get("eventstream"):
        raise ServiceError(
            "InternalFailure",
            f"Strongroom cannot answer {operation.name}: event stream responses are not supported.",
            status=500,
            sender_fault=False,
        )
    status = bound.place_headers(output, headers) or status
    if status in _BODILESS_STATUSES or _without_body(operation):
        return HttpResponse(status, headers, b"")
    if bound.raw_payload:
        value = output.get(bound.payload_member or "")
        body = b"" if value is None else _raw_payload(value)
        if not bound.binds_content_type:
            assert bound.payload_shape is not None
            default = "application/octet-stream" if bound.payload_shape.type_name == "blob" else "text/plain"
            headers.append(("Content-Type", default))
        return HttpResponse(status, headers, body)
    body = _xml_body(service, shape, bound, output) if xml else _json_body(service, shape, bound, output)
    if body and not bound.binds_content_type:
        headers.append(("Content-Type", _XML if xml else _JSON))
    return HttpResponse(status, headers, body)


def _without_body(operation: OperationModel | None) -> bool:
    """HEAD answers carry no body, errors included (the client then knows only the status)."""
    return operation is not None and operation.http.get("method") == "HEAD"


def rest_json_error(
    service: ServiceModel, operation: OperationModel | None, error: ServiceError, request_id: str
) -> HttpResponse:
    facts = resolve(service, error)
    headers = [("Content-Type", _JSON), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", facts.code)]
    if facts.shape is not None:
        binding(service, facts.shape).place_headers(facts.members, headers)
    headers.extend(error.headers.items())
    body = b"" if _without_body(operation) else dump(awsjson.error_document(service, facts, error.message))
    return HttpResponse(facts.status, headers, body)


def rest_xml_error(
    service: ServiceModel, operation: OperationModel | None, error: ServiceError, request_id: str
) -> HttpResponse:
    facts = resolve(service, error)
    headers = _request_id_headers(True, request_id)
    if facts.shape is not None:
        binding(service, facts.shape).place_headers(facts.members, headers)
    headers.extend(error.headers.items())
    if _without_body(operation):
        return HttpResponse(facts.status, headers, b"")
    headers.append(("Content-Type", _XML))
    parts = [f"{_XML_DECLARATION}<Error><Code>{xml_text(facts.code)}</Code>"]
    if error.message is not None:
        parts.append(f"<Message>{xml_text(error.message)}</Message>")
    if facts.members:
        unmodeled = dict(facts.members)
        if facts.shape is not None:
            _xml_planner(service).children(facts.shape, body_only=True)(parts, facts.members)
            for name in facts.shape.members:
                unmodeled.pop(name, None)
        write_untyped(parts, unmodeled)
    parts.append(f"<RequestId>{xml_text(request_id)}</RequestId><HostId>{_host_id(request_id)}</HostId></Error>")
    return HttpResponse(facts.status, headers, "".join(parts).encode("utf-8"))
