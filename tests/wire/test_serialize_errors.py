"""Error responses read by botocore: every modeled error of the services below must come back with its
code, message, HTTP status and extra members; unmodeled errors, overrides and headers are checked too.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from botocore.model import OperationModel, ServiceModel, StructureShape
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.errors import InternalFailure, ServiceError
from strongroom.wire.http import HttpResponse
from strongroom.wire.serialize import serialize_error
from strongroom.wire.specs import load_service, protocol_of
from tests.wire import test_serialize_roundtrip as roundtrip
from tests.wire.strategies import shape_values

ERROR_CASES = [(service, shape.name) for service in roundtrip.SERVICES for shape in load_service(service).error_shapes]
REQUEST_ID = roundtrip.REQUEST_ID

# Messages for shapes that model none: any text XML 1.0 can carry, with the whitespace controls it keeps.
MESSAGES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn")) | st.sampled_from("\r\n\t"),
    max_size=20,
)


def any_operation(model: ServiceModel) -> OperationModel:
    """An operation to answer for: the first that is not a HEAD request (those answer without a body)."""
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.http.get("method") != "HEAD":
            return operation
    raise AssertionError("no operation")


def botocore_error(model: ServiceModel, operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    """What a botocore client raises from `response`: the generic error plus the modeled members."""
    protocol = protocol_of(model)
    parser = create_parser(protocol)
    raw = roundtrip.botocore_response(operation, response)
    parsed = parser.parse(raw, operation.output_shape)
    shape = model.shape_for_error_code(parsed["Error"]["Code"])
    if shape is not None:
        parsed.update(parser.parse(raw, shape))
    return parsed


def message_member(shape: StructureShape) -> str | None:
    return next((name for name in shape.members if name.lower() == "message"), None)


def test_every_service_has_errors_covered() -> None:
    assert {service for service, _ in ERROR_CASES} == set(roundtrip.SERVICES)
    assert len(ERROR_CASES) > 350


@pytest.mark.parametrize(("service", "code"), ERROR_CASES, ids=[f"{s}.{c}" for s, c in ERROR_CASES])
def test_modeled_error(service: str, code: str) -> None:
    model = load_service(service)
    protocol = protocol_of(model)
    operation = any_operation(model)
    shape = model.shape_for(code)
    assert isinstance(shape, StructureShape)
    own_message = message_member(shape)
    messages = shape_values(shape.members[own_message]) if own_message else MESSAGES
    fields = shape_values(shape, output=True).map(
        lambda value: {name: item for name, item in value.items() if name != own_message}
    )
    modeled = shape.metadata.get("error", {})
    status = modeled.get("httpStatusCode", 400)
    wire_code = modeled.get("code", code) if protocol == "query" else code

    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(messages | st.none(), fields)
    def check(message: str | None, members: dict[str, Any]) -> None:
        members = roundtrip.carriable(shape, members, protocol in ("query", "rest-xml"))
        response = serialize_error(model, operation, ServiceError(code, message, fields=members), REQUEST_ID)
        assert response.status == status
        parsed = botocore_error(model, operation, response)
        assert parsed["Error"]["Code"] == wire_code
        # botocore reads an empty XML <Message/> as None, and no message member at all as "".
        assert (parsed["Error"].get("Message") or "") == (message or "")
        assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
        assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
        extra = {name: value for name, value in parsed.items() if name in shape.members and name != own_message}
        assert extra == roundtrip.expected_structure(shape, members, protocol, status)

    check()


@pytest.mark.parametrize("service", ["kms", "iam", "guardduty", "s3"])
def test_status_override_unmodeled_code_and_headers(service: str) -> None:
    model = load_service(service)
    operation = any_operation(model)
    error = ServiceError(
        "SlowDown", "Please reduce your request rate.", status=503, sender_fault=False, headers={"Retry-After": "3"}
    )
    response = serialize_error(model, operation, error, REQUEST_ID)
    assert response.status == 503
    assert response.header("Retry-After") == "3"
    parsed = botocore_error(model, operation, response)
    assert parsed["Error"]["Code"] == "SlowDown"
    assert parsed["Error"]["Message"] == "Please reduce your request rate."


@pytest.mark.parametrize("service", ["kms", "iam", "guardduty", "s3"])
def test_unmodeled_error_defaults_to_400(service: str) -> None:
    model = load_service(service)
    response = serialize_error(model, None, ServiceError("ValidationError", "bad"), REQUEST_ID)
    assert response.status == 400
    parsed = botocore_error(model, any_operation(model), response)
    assert (parsed["Error"]["Code"], parsed["Error"]["Message"]) == ("ValidationError", "bad")


def test_internal_failure_is_a_receiver_fault_with_status_500() -> None:
    model = load_service("sts")
    response = serialize_error(model, None, InternalFailure(), REQUEST_ID)
    parsed = botocore_error(model, any_operation(model), response)
    assert response.status == 500
    assert parsed["Error"]["Type"] == "Receiver"
    assert parsed["Error"]["Code"] == "InternalFailure"


def test_query_error_is_a_sender_fault_with_the_modeled_code() -> None:
    model = load_service("iam")
    response = serialize_error(model, None, ServiceError("NoSuchEntityException", "gone"), REQUEST_ID)
    parsed = botocore_error(model, any_operation(model), response)
    assert response.status == 404
    assert response.header("Content-Type") == "text/xml"
    assert parsed["Error"] == {"Type": "Sender", "Code": "NoSuchEntity", "Message": "gone"}
    assert response.body.startswith(b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')


def test_query_error_also_accepts_the_wire_code() -> None:
    response = serialize_error(load_service("iam"), None, ServiceError("NoSuchEntity", "gone"), REQUEST_ID)
    assert response.status == 404
    assert b"<Code>NoSuchEntity</Code>" in response.body


def test_unmodeled_fields_are_carried_untyped() -> None:
    model = load_service("s3")
    error = ServiceError("NoSuchKey", "The specified key does not exist.", fields={"Key": "a&b", "Size": 3})
    parsed = botocore_error(model, any_operation(model), serialize_error(model, None, error, REQUEST_ID))
    assert parsed["Error"] == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "a&b",
        "Size": "3",
    }
    body = orjson.loads(serialize_error(load_service("kms"), None, error, REQUEST_ID).body)
    assert body == {"__type": "NoSuchKey", "message": "The specified key does not exist.", "Key": "a&b", "Size": 3}


@pytest.mark.parametrize(
    ("service", "code", "key"),
    [
        ("kms", "NotFoundException", "message"),
        ("secretsmanager", "ResourceNotFoundException", "Message"),
        ("kms", "UnmodeledException", "message"),
    ],
)
def test_json_message_uses_the_shapes_casing(service: str, code: str, key: str) -> None:
    response = serialize_error(load_service(service), None, ServiceError(code, "nope"), REQUEST_ID)
    assert orjson.loads(response.body) == {"__type": code, key: "nope"}
    assert response.header("Content-Type") == "application/x-amz-json-1.1"
    assert response.header("x-amzn-RequestId") == REQUEST_ID


@pytest.mark.parametrize("service", ["kms", "iam", "guardduty", "s3"])
def test_no_message_means_no_message_member(service: str) -> None:
    model = load_service(service)
    response = serialize_error(model, None, ServiceError("InvalidCiphertextException", None), REQUEST_ID)
    assert b"essage" not in response.body
    assert botocore_error(model, any_operation(model), response)["Error"].get("Message", "") == ""


def test_rest_json_names_the_code_in_a_header() -> None:
    model = load_service("guardduty")
    response = serialize_error(model, None, ServiceError("BadRequestException", "no", fields={"Type": "x"}), "r")
    assert response.header("x-amzn-ErrorType") == "BadRequestException"
    # GuardDuty's errors name their members in lower case on the wire.
    assert orjson.loads(response.body) == {"message": "no", "type": "x"}


def test_rest_xml_error_is_s3s_error_document() -> None:
    model = load_service("s3")
    response = serialize_error(model, None, ServiceError("NoSuchBucket", "The specified bucket does not exist"), "r1")
    assert response.status == 404
    assert response.header("x-amz-request-id") == "r1"
    host_id = response.header("x-amz-id-2")
    assert host_id
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code>'
        b"<Message>The specified bucket does not exist</Message>"
        b"<RequestId>r1</RequestId><HostId>" + host_id.encode() + b"</HostId></Error>"
    )


def test_head_errors_have_no_body() -> None:
    model = load_service("s3")
    operation = model.operation_model("HeadObject")
    response = serialize_error(model, operation, ServiceError("NoSuchKey", "gone", status=404), REQUEST_ID)
    assert response.body == b""
    parsed = botocore_error(model, operation, response)
    # With no body the client knows only the status, exactly as with S3 itself.
    assert parsed["Error"]["Code"] == "404"
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_query_compatible_json_service_names_its_query_code() -> None:
    model = load_service("cloudwatch")
    shape = next(
        shape for shape in model.error_shapes if shape.metadata.get("error", {}).get("code", shape.name) != shape.name
    )
    query_code = shape.metadata["error"]["code"]
    response = serialize_error(model, None, ServiceError(shape.name, "m"), REQUEST_ID)
    assert response.header("x-amzn-query-error") == f"{query_code};Sender"
    parsed = botocore_error(model, any_operation(model), response)
    assert parsed["Error"]["Code"] == query_code
    assert parsed["Error"]["QueryErrorCode"] == shape.name
