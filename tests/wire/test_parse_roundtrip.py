"""Round trip over botocore: generated inputs, serialized by botocore's client serializer into the
exact HTTP request a client sends, must parse back to the same values, for every operation of the
services below (all four protocols).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from hypothesis import given
from hypothesis import strategies as st

from strongroom.wire.parse import parse_request
from strongroom.wire.specs import load_service, protocol_of
from tests.wire.botocore_wire import to_http_request
from tests.wire.roundtrip import (
    SERVICES,
    assert_every_service_is_covered,
    assert_skip_list_is_small_and_named,
    case_ids,
    round_trip_settings,
)
from tests.wire.strategies import shape_values

# Operations botocore's serializer cannot turn into a request on its own.
SKIPPED = {
    # The member fills a host prefix ("{RequestRoute}.") that the serializer validates as a host label.
    ("s3", "WriteGetObjectResponse"): "host-prefix label",
}

# Operations whose requests are indistinguishable on the wire from another's (same method, URI and
# required members): the parser answers the first (non-deprecated, then alphabetical) of each group.
TWINS = {
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",
    ("s3", "ListDirectoryBuckets"): "ListBuckets",
}

CASES = [
    (service, name)
    for service in SERVICES
    for name in load_service(service).operation_names
    if (service, name) not in SKIPPED
]


def test_skip_list_is_small_and_named() -> None:
    assert_skip_list_is_small_and_named(SKIPPED, most=3)


def test_every_service_is_covered() -> None:
    assert_every_service_is_covered(CASES)


@pytest.mark.parametrize(("service", "op_name"), CASES, ids=case_ids(CASES))
def test_round_trip(service: str, op_name: str) -> None:
    model = load_service(service)
    operation = model.operation_model(op_name)
    protocol = protocol_of(model)
    shape = operation.input_shape
    strategy = shape_values(shape) if shape is not None else st.just({})

    @round_trip_settings(max_examples=20)
    @given(strategy)
    def check(params: dict[str, Any]) -> None:
        request = to_http_request(service, op_name, params)
        parsed_operation, parsed = parse_request(model, request)
        twin = TWINS.get((service, op_name))
        assert parsed_operation.name == (twin or op_name)
        expected = expected_input(operation, protocol, params)
        if "content-length" in request.headers:
            # Content-Length belongs to the HTTP layer: it is the body's length, whatever was asked.
            expected = _with_content_length(operation, expected, int(request.headers["content-length"]))
        if twin is not None:
            # Parsed as the twin: only the members both share (same name, same shape) must agree.
            shared = _shared_members(operation, parsed_operation)
            expected = {name: value for name, value in expected.items() if name in shared}
            parsed = {name: value for name, value in parsed.items() if name in shared}
        assert parsed == expected

    check()


def _with_content_length(operation: OperationModel, expected: dict[str, Any], length: int) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return expected
    for name, member in shape.members.items():
        if member.serialization.get("location") == "header" and wire_name_of(member, name).lower() == "content-length":
            expected = {**expected, name: length}
    return expected


def wire_name_of(member: Shape, name: str) -> str:
    return str(member.serialization.get("name", name))


def _shared_members(operation: OperationModel, twin: OperationModel) -> set[str]:
    mine, theirs = operation.input_shape, twin.input_shape
    if mine is None or theirs is None:
        return set()
    return {
        name
        for name, member in mine.members.items()
        if name in theirs.members and theirs.members[name].name == member.name
    }


# --- What each protocol can carry -------------------------------------------------------------
#
# The parser's output equals the input except where the wire has no way to tell two inputs apart:
#  - query: an empty map or an empty structure sends no parameter at all, so it parses as absent
#    (an empty list is sent as "Name=" and survives, but a list item that sends nothing vanishes);
#  - rest, query string and headers: an empty list or map sends nothing, so it parses as absent;
#  - rest, payload: an empty blob/string payload is an empty body, the same as no payload; a
#    missing structure payload is sent by rest-json as "{}", so it parses as an empty structure;
#  - rest-xml: an empty flattened list or map has no element at all, so it parses as absent.


def expected_input(operation: OperationModel, protocol: str, params: dict[str, Any]) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    if protocol == "query":
        # An empty top-level input is still {}; only nested empty structures disappear.
        expected = _query_expected(shape, params)
        return {} if expected is _ABSENT else expected
    if protocol.startswith("rest-"):
        return _rest_expected(shape, params, protocol)
    return params


_ABSENT = object()


def _query_expected(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape):
        kept = {name: _query_expected(shape.members[name], item) for name, item in value.items()}
        kept = {name: item for name, item in kept.items() if item is not _ABSENT}
        return kept if kept else _ABSENT
    if isinstance(shape, MapShape):
        if not value:
            return _ABSENT
        return {key: _query_expected(shape.value, item) for key, item in value.items()}
    if isinstance(shape, ListShape):
        # Items that send nothing leave a gap in the numbering; a list of only such items sends nothing.
        items = [_query_expected(shape.member, item) for item in value]
        kept = [item for item in items if item is not _ABSENT]
        return _ABSENT if items and not kept else kept
    return value


def _rest_expected(shape: StructureShape, params: dict[str, Any], protocol: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    payload = shape.serialization.get("payload")
    for name, value in params.items():
        member = shape.members[name]
        location = member.serialization.get("location")
        sent_bare = location in ("querystring", "header", "headers")
        if sent_bare and isinstance(member, ListShape | MapShape) and not value:
            continue
        if name == payload and member.type_name in ("blob", "string") and not value:
            continue
        if protocol == "rest-xml" and location is None:
            value = _xml_expected(member, value)
            if value is _ABSENT:
                continue
        result[name] = value
    missing_payload = payload is not None and payload not in params
    if missing_payload and protocol == "rest-json" and shape.members[payload].type_name == "structure":
        result[payload] = {}
    return result


def _xml_expected(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape):
        kept = {name: _xml_expected(shape.members[name], item) for name, item in value.items()}
        return {name: item for name, item in kept.items() if item is not _ABSENT}
    if isinstance(shape, ListShape):
        if not value and shape.serialization.get("flattened"):
            return _ABSENT
        return [_xml_expected(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        if not value and shape.serialization.get("flattened"):
            return _ABSENT
        return {key: _xml_expected(shape.value, item) for key, item in value.items()}
    return value
