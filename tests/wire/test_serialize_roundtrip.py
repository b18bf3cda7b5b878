"""Round trip over botocore: generated outputs, serialized by ours, must parse back to the same values
through botocore's own response parser, for every operation with an output of the services below.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from hypothesis import given

from strongroom.wire.http import HttpResponse
from strongroom.wire.serialize import serialize_response
from strongroom.wire.specs import load_service, protocol_of
from tests.wire.roundtrip import (
    SERVICES,
    assert_every_service_is_covered,
    assert_skip_list_is_small_and_named,
    case_ids,
    round_trip_settings,
)
from tests.wire.strategies import shape_values

# Operations whose responses the serializer does not write.
SKIPPED = {
    # An event stream, not a response body: its frames are not a protocol this serializer speaks.
    ("s3", "SelectObjectContent"): "event-stream output",
}

CASES = [
    (service, name)
    for service in SERVICES
    for name in load_service(service).operation_names
    if load_service(service).operation_model(name).output_shape is not None and (service, name) not in SKIPPED
]

REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"


def test_skip_list_is_small_and_named() -> None:
    assert_skip_list_is_small_and_named(SKIPPED, most=2)


def test_every_service_is_covered() -> None:
    assert_every_service_is_covered(CASES)


def botocore_response(operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    """`response` as botocore's endpoint hands it to its parser (headers merged as urllib3 merges them)."""
    headers = HeadersDict()
    for name, value in response.headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    body: Any = response.body
    if response.status < 300 and operation.has_streaming_output:
        body = StreamingBody(io.BytesIO(response.body), len(response.body))
    return {"status_code": response.status, "headers": headers, "body": body, "context": {}}


def parse_with_botocore(model_protocol: str, operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    parsed = create_parser(model_protocol).parse(botocore_response(operation, response), operation.output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


@pytest.mark.parametrize(("service", "op_name"), CASES, ids=case_ids(CASES))
def test_round_trip(service: str, op_name: str) -> None:
    model = load_service(service)
    operation = model.operation_model(op_name)
    protocol = protocol_of(model)
    shape = operation.output_shape
    assert shape is not None

    @round_trip_settings(max_examples=15)
    @given(shape_values(shape, output=True))
    def check(output: dict[str, Any]) -> None:
        output = carriable(shape, output, protocol in ("query", "rest-xml"))
        response = serialize_response(model, operation, output, REQUEST_ID)
        parsed = parse_with_botocore(protocol, operation, response)
        if operation.has_streaming_output:
            # The streaming payload is handed back as a stream (never generated); the rest must agree.
            payload = shape.serialization["payload"]
            assert parsed.pop(payload).read() == b""
        assert parsed == expected_output(operation, protocol, output)
        assert request_id_of(response) == REQUEST_ID

    check()


def request_id_of(response: HttpResponse) -> str | None:
    return response.header("x-amzn-RequestId") or response.header("x-amz-request-id")


def carriable(shape: Shape, value: Any, xml: bool) -> Any:
    """`value` without what no valid output holds, so the comparison is about the wire:
    - tagged unions that set no member (a union sets exactly one member, and botocore rejects a
      response that breaks this), which the strategies emit at their depth cap;
    - in XML, members that share their element name with another member of the same structure (one
      deprecated S3 shape names two members `Event`): the wire cannot tell them apart.
    """
    if isinstance(shape, StructureShape) and shape.is_tagged_union and not value:
        return _ABSENT
    if isinstance(shape, StructureShape) and not shape.is_document_type:
        ambiguous = _ambiguous_xml_members(shape) if xml else set()
        kept = {
            name: carriable(shape.members[name], item, xml) for name, item in value.items() if name not in ambiguous
        }
        return {name: item for name, item in kept.items() if item is not _ABSENT}
    if isinstance(shape, ListShape):
        items = [carriable(shape.member, item, xml) for item in value]
        return [item for item in items if item is not _ABSENT]
    if isinstance(shape, MapShape):
        entries = {key: carriable(shape.value, item, xml) for key, item in value.items()}
        return {key: item for key, item in entries.items() if item is not _ABSENT}
    return value


def _ambiguous_xml_members(shape: StructureShape) -> set[str]:
    by_element: dict[str, list[str]] = {}
    for name, member in shape.members.items():
        element = member.serialization.get("name", name)
        if isinstance(member, ListShape) and member.serialization.get("flattened"):
            element = member.member.serialization.get("name", element)
        by_element.setdefault(element, []).append(name)
    return {name for names in by_element.values() if len(names) > 1 for name in names}


# --- What each protocol can carry -------------------------------------------------------------
#
# botocore's parse equals the output except where the wire cannot tell two outputs apart:
#  - every protocol: a member whose value is None is omitted, so it parses as absent;
#  - XML (query, rest-xml): an empty flattened list or map has no element at all, so it parses as absent;
#  - rest: an empty list sent in a header sends nothing, so it parses as absent; a `headers` map
#    (prefixed headers) always parses, as {} when nothing was sent;
#  - rest: a `statusCode` member always parses, as the status sent (the operation's default when unset);
#  - rest, payload: an absent structure payload is an empty body, which parses as an empty structure;
#    an absent non-streaming string payload is an empty body, which parses as "".


def expected_output(operation: OperationModel, protocol: str, output: dict[str, Any]) -> dict[str, Any]:
    shape = operation.output_shape
    assert isinstance(shape, StructureShape)
    return expected_structure(shape, output, protocol, operation.http.get("responseCode", 200))


def expected_structure(shape: StructureShape, value: dict[str, Any], protocol: str, status: int) -> dict[str, Any]:
    """What botocore parses from `value` of `shape` sent in a response with HTTP status `status`."""
    expected = _expected_structure(shape, value, protocol in ("query", "rest-xml"))
    if protocol.startswith("rest-"):
        expected = _rest_expected(shape, expected, status)
    return expected


_ABSENT = object()


def _expected(shape: Shape, value: Any, xml: bool) -> Any:
    if value is None:
        return _ABSENT
    if isinstance(shape, StructureShape) and not shape.is_document_type:
        return _expected_structure(shape, value, xml)
    if isinstance(shape, ListShape):
        if xml and not value and shape.serialization.get("flattened"):
            return _ABSENT
        return [_expected(shape.member, item, xml) for item in value]
    if isinstance(shape, MapShape):
        if xml and not value and shape.serialization.get("flattened"):
            return _ABSENT
        return {key: _expected(shape.value, item, xml) for key, item in value.items()}
    return value


def _expected_structure(shape: StructureShape, value: dict[str, Any], xml: bool) -> dict[str, Any]:
    kept = {name: _expected(shape.members[name], item, xml) for name, item in value.items()}
    return {name: item for name, item in kept.items() if item is not _ABSENT}


def _rest_expected(shape: StructureShape, expected: dict[str, Any], status: int) -> dict[str, Any]:
    result = dict(expected)
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "header" and isinstance(member, ListShape) and not result.get(name, True):
            del result[name]
        elif location == "headers":
            result.setdefault(name, {})
        elif location == "statusCode":
            result.setdefault(name, status)
        elif name == payload and name not in result and not member.serialization.get("streaming"):
            if member.type_name == "structure":
                result[name] = {}
            elif member.type_name == "string":
                result[name] = ""
    return result
