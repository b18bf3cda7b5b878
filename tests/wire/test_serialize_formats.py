"""The exact bytes of responses: envelopes, escaping, timestamps, numbers and headers of each protocol."""

from __future__ import annotations

import base64
import email.header
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree

import botocore.session
import orjson
import pytest
from botocore.model import ServiceModel

from strongroom.errors import ServiceError
from strongroom.wire.serialize import serialize_response
from strongroom.wire.serialize.awsjson import planner
from strongroom.wire.serialize.scalars import epoch_seconds, header_text, iso8601, rfc822, xml_attribute, xml_text
from strongroom.wire.specs import load_service
from tests.wire import test_serialize_roundtrip as roundtrip

KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def respond(service: str, op_name: str, output: dict, request_id: str = "req-1"):
    model = load_service(service)
    return serialize_response(model, model.operation_model(op_name), output, request_id)


def botocore_parse(service: str, op_name: str, response) -> dict:
    model = load_service(service)
    operation = model.operation_model(op_name)
    return roundtrip.parse_with_botocore(model.resolved_protocol, operation, response)


def test_json_envelope() -> None:
    output = {"CiphertextBlob": b"\x00\xff", "KeyId": KEY_ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    response = respond("kms", "Encrypt", output)
    assert response.status == 200
    assert response.headers == [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", "req-1")]
    assert response.body == (
        b'{"CiphertextBlob":"AP8=","KeyId":"' + KEY_ARN.encode() + b'","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}'
    )


def test_json_omits_none_and_unknown_members() -> None:
    response = respond("kms", "Encrypt", {"KeyId": KEY_ARN, "CiphertextBlob": None, "NotInTheModel": 1})
    assert orjson.loads(response.body) == {"KeyId": KEY_ARN}


def test_json_output_without_members_is_an_empty_object() -> None:
    assert respond("kms", "EnableKey", {}).body == b"{}"


def test_json_timestamps_are_epoch_seconds() -> None:
    created = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    body = orjson.loads(respond("kms", "DescribeKey", {"KeyMetadata": {"KeyId": "k", "CreationDate": created}}).body)
    assert body["KeyMetadata"]["CreationDate"] == 1714979289
    assert isinstance(body["KeyMetadata"]["CreationDate"], int)
    with_millis = created + timedelta(milliseconds=250)
    body = orjson.loads(
        respond("kms", "DescribeKey", {"KeyMetadata": {"KeyId": "k", "CreationDate": with_millis}}).body
    )
    assert body["KeyMetadata"]["CreationDate"] == 1714979289.25


def test_timestamp_formats() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, 120000, tzinfo=timezone(timedelta(hours=2)))
    assert iso8601(moment) == "2024-05-06T05:08:09.12Z"
    assert iso8601(moment.replace(microsecond=0)) == "2024-05-06T05:08:09Z"
    assert rfc822(moment) == "Mon, 06 May 2024 05:08:09 GMT"
    assert epoch_seconds(moment) == 1714972089.12
    # A naive datetime is taken as UTC.
    assert iso8601(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"
    assert epoch_seconds(datetime(1970, 1, 1, 0, 0, 1)) == 1


def test_rest_json_member_timestamp_format_is_honoured() -> None:
    model = load_service("macie2")
    shape = model.shape_for("__timestampIso8601")
    assert shape.serialization["timestampFormat"] == "iso8601"
    operation = next(
        model.operation_model(name)
        for name in model.operation_names
        if model.operation_model(name).output_shape is not None
        and any(
            member.name == "__timestampIso8601" for member in model.operation_model(name).output_shape.members.values()
        )
    )
    member = next(n for n, m in operation.output_shape.members.items() if m.name == "__timestampIso8601")
    response = serialize_response(model, operation, {member: datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}, "r")
    assert orjson.loads(response.body)[operation.output_shape.members[member].serialization.get("name", member)] == (
        "2024-01-02T03:04:05Z"
    )


def test_json_non_finite_floats_use_their_names() -> None:
    model = load_service("cloudtrail")
    double = next(model.shape_for(name) for name in model.shape_names if model.shape_for(name).type_name == "double")
    convert = planner(model).converter(double)
    assert convert is not None
    assert [convert(float("nan")), convert(float("inf")), convert(float("-inf")), convert(1.5)] == [
        "NaN",
        "Infinity",
        "-Infinity",
        1.5,
    ]


def test_query_envelope() -> None:
    output = {"UserId": "AIDAEXAMPLE", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/a"}
    response = respond("sts", "GetCallerIdentity", output)
    assert response.headers == [("Content-Type", "text/xml"), ("x-amzn-RequestId", "req-1")]
    assert response.body == (
        b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        b"<GetCallerIdentityResult><UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account>"
        b"<Arn>arn:aws:iam::111122223333:user/a</Arn></GetCallerIdentityResult>"
        b"<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    )


def test_query_lists_maps_and_timestamps() -> None:
    created = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    output = {
        "Users": [{"UserName": "a", "Path": "/", "UserId": "U", "Arn": "arn", "CreateDate": created}],
        "IsTruncated": False,
    }
    response = respond("iam", "ListUsers", output)
    assert (
        b"<ListUsersResult><Users><member><UserName>a</UserName><Path>/</Path><UserId>U</UserId><Arn>arn</Arn>"
        b"<CreateDate>2024-05-06T07:08:09Z</CreateDate></member></Users><IsTruncated>false</IsTruncated>"
        b"</ListUsersResult>"
    ) in response.body
    tags = respond("iam", "GetAccountSummary", {"SummaryMap": {"Users": 3, "Groups": 0}})
    assert b"<SummaryMap><entry><key>Users</key><value>3</value></entry>" in tags.body
    assert botocore_parse("iam", "GetAccountSummary", tags) == {"SummaryMap": {"Users": 3, "Groups": 0}}


@pytest.mark.parametrize("text", ["a&b<c>d", "line\r\nbreak\r", "tab\tand\nnewline", ']]>"quoted"', "ünïcødé ☃"])
def test_xml_text_survives_escaping(text: str) -> None:
    response = respond("iam", "GetUser", {"User": {"UserName": text, "Path": "/", "UserId": "U", "Arn": "a"}})
    assert botocore_parse("iam", "GetUser", response)["User"]["UserName"] == text


def test_carriage_return_is_a_character_reference() -> None:
    assert xml_text("a\rb") == "a&#xD;b"
    assert xml_text("<&>") == "&lt;&amp;&gt;"
    assert xml_attribute('"\r\n\t') == "&quot;&#xD;&#xA;&#x9;"
    assert xml_text("plain") == "plain"


def test_characters_xml_cannot_hold_become_replacement_characters() -> None:
    escaped = xml_text("a\x00b\x1fc\ufffe")
    assert escaped == "a\ufffdb\ufffdc\ufffd"
    response = respond("iam", "GetUser", {"User": {"UserName": "x\x01y", "Path": "/", "UserId": "U", "Arn": "a"}})
    ElementTree.fromstring(response.body)
    assert botocore_parse("iam", "GetUser", response)["User"]["UserName"] == "x\ufffdy"


def test_rest_xml_payload_document_root_and_namespace() -> None:
    response = respond("s3", "GetBucketPolicyStatus", {"PolicyStatus": {"IsPublic": True}})
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsPublic>true</IsPublic></PolicyStatus>'
    )
    assert response.header("Content-Type") == "application/xml"
    assert response.header("x-amz-request-id") == "req-1"


def test_rest_xml_attributes_and_prefixed_namespaces() -> None:
    output = {"Owner": {"ID": "o"}, "Grants": [{"Grantee": {"Type": "Group", "URI": "u&v"}, "Permission": "READ"}]}
    response = respond("s3", "GetBucketAcl", output)
    assert (
        b'<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>u&amp;v</URI></Grantee>'
        in response.body
    )
    assert botocore_parse("s3", "GetBucketAcl", response) == output


def test_rest_xml_flattened_lists_repeat_their_element() -> None:
    output = {"Name": "b", "Contents": [{"Key": "k1"}, {"Key": "k2"}], "IsTruncated": False}
    response = respond("s3", "ListObjectsV2", output)
    assert b"<Contents><Key>k1</Key></Contents><Contents><Key>k2</Key></Contents>" in response.body


def test_rest_headers_status_and_raw_payload() -> None:
    output = {"StatusCode": 202, "FunctionError": "Unhandled", "ExecutedVersion": "$LATEST", "Payload": b'{"a":1}'}
    response = respond("lambda", "Invoke", output)
    assert response.status == 202
    assert response.header("X-Amz-Function-Error") == "Unhandled"
    assert response.header("x-amzn-RequestId") == "req-1"
    assert response.header("Content-Type") == "application/octet-stream"
    assert response.body == b'{"a":1}'


def test_rest_header_timestamps_metadata_and_content_type_member() -> None:
    modified = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    output = {"LastModified": modified, "ContentLength": 3, "Metadata": {"colour": "blue"}, "ContentType": "text/csv"}
    response = respond("s3", "HeadObject", output)
    assert response.header("Last-Modified") == "Mon, 06 May 2024 07:08:09 GMT"
    assert response.header("Content-Length") == "3"
    assert response.header("x-amz-meta-colour") == "blue"
    assert response.header("Content-Type") == "text/csv"
    assert response.body == b""


def test_no_content_statuses_have_no_body() -> None:
    response = respond("guardduty", "TagResource", {})
    assert (response.status, response.body) == (204, b"")
    assert response.header("Content-Type") is None


def test_rest_json_body_and_response_code() -> None:
    response = respond("guardduty", "CreateDetector", {"DetectorId": "d1"})
    assert response.status == 200
    assert response.header("Content-Type") == "application/json"
    assert orjson.loads(response.body) == {"detectorId": "d1"}


def test_non_ascii_header_values_are_encoded_words() -> None:
    assert header_text("plain value") == "plain value"
    encoded = header_text("naïve\r\nvalue")
    assert encoded.isascii()
    assert "\r" not in encoded
    ((raw, charset),) = email.header.decode_header(encoded)
    assert raw.decode(charset) == "naïve\r\nvalue"


def test_json_value_headers_are_base64_json() -> None:
    output = {"sessionAttributes": {"a": "b"}, "slots": {"size": ["large", 2]}}
    response = respond("lex-runtime", "PostContent", output)
    assert orjson.loads(base64.b64decode(response.header("x-amz-lex-session-attributes"))) == {"a": "b"}
    parsed = botocore_parse("lex-runtime", "PostContent", response)
    assert (parsed["sessionAttributes"], parsed["slots"]) == (output["sessionAttributes"], output["slots"])


def test_event_stream_outputs_are_refused_as_a_service_error() -> None:
    with pytest.raises(ServiceError) as raised:
        respond("s3", "SelectObjectContent", {})
    assert raised.value.code == "InternalFailure"


def test_plans_compile_safely_under_concurrent_first_use() -> None:
    data = botocore.session.get_session().get_component("data_loader").load_service_model("iam", "service-2")
    fresh = ServiceModel(data, service_name="iam")
    cached = load_service("iam")
    when = datetime(2024, 1, 2, tzinfo=UTC)
    role = {
        "Path": "/",
        "RoleName": "r",
        "RoleId": "R",
        "Arn": "a",
        "CreateDate": when,
        "Tags": [{"Key": "k", "Value": "v"}],
    }
    detail = {"RoleDetailList": [{"RoleName": "r", "RolePolicyList": [{"PolicyName": "p"}], "Tags": []}]}
    outputs = {"GetRole": {"Role": role}, "ListRoles": {"Roles": [role]}, "GetAccountAuthorizationDetails": detail}
    expected = {
        name: serialize_response(cached, cached.operation_model(name), output, "r").body
        for name, output in outputs.items()
    }
    barrier = threading.Barrier(8)

    def serialize(index: int) -> tuple[str, bytes]:
        name = list(outputs)[index % len(outputs)]
        barrier.wait()
        return name, serialize_response(fresh, fresh.operation_model(name), outputs[name], "r").body

    # Switch threads as often as possible, so a half-compiled plan would be seen if it could be.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(serialize, range(8)))
    finally:
        sys.setswitchinterval(interval)
    assert all(body == expected[name] for name, body in results)


def test_json_version_follows_the_model() -> None:
    model = load_service("dynamodb")
    assert model.metadata["jsonVersion"] == "1.0"
    response = serialize_response(model, model.operation_model("ListTables"), {"TableNames": ["t"]}, "r")
    assert response.header("Content-Type") == "application/x-amz-json-1.0"
    assert orjson.loads(response.body) == {"TableNames": ["t"]}
