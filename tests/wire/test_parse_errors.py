"""Every request the parsers cannot read answers with the protocol's own AWS error, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.errors import ServiceError
from strongroom.wire.http import Headers, HttpRequest
from strongroom.wire.parse import parse_request
from strongroom.wire.specs import load_service

_JSON_11 = {"content-type": "application/x-amz-json-1.1"}
_FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}


def _request(
    method: str = "POST", path: str = "/", query: str = "", headers: dict[str, str] | None = None, body: bytes = b""
) -> HttpRequest:
    return HttpRequest(method, path, query, Headers((headers or {}).items()), body)


def _kms(target: str | None, body: bytes) -> HttpRequest:
    headers = dict(_JSON_11)
    if target is not None:
        headers["x-amz-target"] = target
    return _request(headers=headers, body=body)


def _error(service: str, request: HttpRequest) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse_request(load_service(service), request)
    return caught.value


# --- json ------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [None, "", "TrentService.NoSuchOperation", "OtherService.Encrypt", "Encrypt"])
def test_json_unknown_or_missing_target(target: str | None) -> None:
    error = _error("kms", _kms(target, b"{}"))
    assert (error.code, error.status, error.message) == ("UnknownOperationException", 400, None)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'"text"',
        b'{"KeyId": 5, "Plaintext": "YWJj"}',
        b'{"KeyId": "k", "Plaintext": "not base64!"}',
        b'{"KeyId": "k", "Plaintext": "YWJj", "EncryptionContext": ["a"]}',
        b'{"KeyId": "k", "Plaintext": "YWJj", "GrantTokens": "one"}',
        b'{"KeyId": "k", "Plaintext": "YWJj", "DryRun": "yes"}',
        b"\xff\xfe",
    ],
)
def test_json_malformed_body_or_wrong_type(body: bytes) -> None:
    error = _error("kms", _kms("TrentService.Encrypt", body))
    assert (error.code, error.status) == ("SerializationException", 400)
    assert error.message
    assert "not base64!" not in error.message and "yes" not in error.message


def test_json_wrong_number_types() -> None:
    for body in (b'{"NumberOfBytes": "12"}', b'{"NumberOfBytes": 1.5}', b'{"NumberOfBytes": true}'):
        error = _error("kms", _kms("TrentService.GenerateRandom", body))
        assert error.code == "SerializationException"


def test_json_empty_body_is_an_empty_input_and_unknown_members_are_ignored() -> None:
    model = load_service("kms")
    operation, params = parse_request(model, _kms("TrentService.ListKeys", b""))
    assert (operation.name, params) == ("ListKeys", {})
    operation, params = parse_request(
        model, _kms("TrentService.ListKeys", b'{"Limit": 5, "Bogus": [1], "Marker": null}')
    )
    assert params == {"Limit": 5}


def test_json_timestamps_accept_epoch_numbers_and_iso_strings() -> None:
    model = load_service("cloudtrail")
    target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
    for start in (b"1700000000", b"1700000000.5", b'"2023-11-14T22:13:20Z"', b'"2023-11-14T22:13:20.500Z"'):
        _, params = parse_request(model, _kms(target, b'{"StartTime": ' + start + b"}"))
        assert params["StartTime"].timestamp() in (1700000000, 1700000000.5)
        assert params["StartTime"].utcoffset().total_seconds() == 0


# --- query -----------------------------------------------------------------------------------


def test_query_missing_action() -> None:
    error = _error("sts", _request(headers=_FORM, body=b"Version=2011-06-15"))
    assert (error.code, error.status, error.message) == ("MissingAction", 400, "Missing Action")


def test_query_unknown_action_or_version() -> None:
    error = _error("sts", _request(headers=_FORM, body=b"Action=Nope&Version=2011-06-15"))
    assert (error.code, error.status) == ("InvalidAction", 400)
    assert error.message == "Could not find operation Nope for version 2011-06-15"
    error = _error("sts", _request(headers=_FORM, body=b"Action=GetCallerIdentity&Version=1999-01-01"))
    assert error.message == "Could not find operation GetCallerIdentity for version 1999-01-01"


@pytest.mark.parametrize(
    "body",
    [
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=%ff%fe&RoleSessionName=s",
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=s&DurationSeconds=abc",
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=s&Tags.member.x.Key=k",
        b"\xff\xfe",
    ],
)
def test_query_malformed(body: bytes) -> None:
    error = _error("sts", _request(headers=_FORM, body=body))
    assert error.code == "MalformedQueryString"


@pytest.mark.parametrize(
    ("query", "body", "repeated"),
    [
        ("", b"Action=GetCallerIdentity&Version=2011-06-15&Action=GetCallerIdentity", "Action"),
        ("", b"Action=GetCallerIdentity&Version=2011-06-15&Action=AssumeRole", "Action"),
        ("Action=GetCallerIdentity", b"Action=GetCallerIdentity&Version=2011-06-15", "Action"),
        ("Action=AssumeRole&Version=2011-06-15", b"Action=GetCallerIdentity&Version=2011-06-15", "Action"),
        ("Version=2011-06-15", b"Action=GetCallerIdentity&Version=2011-06-15", "Version"),
    ],
)
def test_query_routing_parameters_given_twice_are_refused(query: str, body: bytes, repeated: str) -> None:
    error = _error("sts", _request(query=query, headers=_FORM, body=body))
    assert (error.code, error.status) == ("InvalidQueryParameter", 400)
    assert error.message == f"The request must give the parameter {repeated} once: it is given more than once."


def test_query_other_parameters_given_twice_keep_the_last() -> None:
    _, params = parse_request(load_service("iam"), _request(
        headers=_FORM, body=b"Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fa%2F&PathPrefix=%2Fb%2F"))
    assert params == {"PathPrefix": "/b/"}


def test_query_get_parameters_in_query_string_and_flattened_names() -> None:
    model = load_service("iam")
    operation, params = parse_request(
        model,
        _request(method="GET", query="Action=ListUsers&Version=2010-05-08&MaxItems=7&PathPrefix=%2Fa%2F"),
    )
    assert (operation.name, params) == ("ListUsers", {"MaxItems": 7, "PathPrefix": "/a/"})
    _, params = parse_request(
        model,
        _request(
            headers=_FORM,
            body=b"Action=TagUser&Version=2010-05-08&UserName=u&Tags.member.2.Key=b&Tags.member.2.Value=2"
            b"&Tags.member.1.Key=a&Tags.member.1.Value=1",
        ),
    )
    assert params["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]


# --- rest-json -------------------------------------------------------------------------------


def test_rest_json_no_route() -> None:
    error = _error("guardduty", _request(method="PATCH", path="/no/such/thing"))
    assert (error.code, error.status, error.message) == ("UnknownOperationException", 404, None)


@pytest.mark.parametrize("body", [b"{oops", b"[]", b'{"name": 3}'])
def test_rest_json_malformed_body(body: bytes) -> None:
    error = _error("guardduty", _request(path="/detector/abc/filter", body=body))
    assert (error.code, error.status) == ("SerializationException", 400)


def test_rest_json_bad_label_encoding() -> None:
    error = _error("guardduty", _request(method="GET", path="/detector/%ff"))
    assert error.code == "SerializationException"


# --- rest-xml --------------------------------------------------------------------------------


def test_rest_xml_no_route() -> None:
    error = _error("s3", _request(method="PATCH", path="/bucket"))
    assert (error.code, error.status) == ("MethodNotAllowed", 405)
    assert error.message == "The specified method is not allowed against this resource."


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging><TagSet><Tag><Key>a</Key>",
        b"not xml at all",
        b"<Tagging><TagSet><Tag><Key>&undefined;</Key><Value>v</Value></Tag></TagSet></Tagging>",
    ],
)
def test_rest_xml_malformed_body(body: bytes) -> None:
    error = _error("s3", _request(method="PUT", path="/bucket", query="tagging", body=body))
    assert (error.code, error.status) == ("MalformedXML", 400)


_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Tagging><TagSet><Tag><Key>&x;</Key><Value>v</Value></Tag></TagSet></Tagging>"""

_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<Tagging><TagSet><Tag><Key>&b;</Key><Value>v</Value></Tag></TagSet></Tagging>"""

_BARE_DTD = b"""<!DOCTYPE Tagging><Tagging><TagSet/></Tagging>"""


@pytest.mark.parametrize("body", [_XXE, _BOMB, _BARE_DTD], ids=["external-entity", "entity-expansion", "dtd"])
def test_rest_xml_refuses_dtds_and_entities(body: bytes) -> None:
    error = _error("s3", _request(method="PUT", path="/bucket", query="tagging", body=body))
    assert (error.code, error.status) == ("MalformedXML", 400)


def test_rest_xml_bad_header_value() -> None:
    error = _error("s3", _request(method="GET", path="/b/k", headers={"If-Modified-Since": "yesterday"}))
    assert error.code == "MalformedXML"


# --- nothing escapes but ServiceError ----------------------------------------------------------

_SERVICES = ("kms", "sts", "guardduty", "s3")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    service=st.sampled_from(_SERVICES),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    path=st.sampled_from(["/", "/b", "/b/k%2Fx", "/detector", "/detector/d/filter", "/%ff"]) | st.text(max_size=20),
    query=st.sampled_from(["", "tagging", "Action=AssumeRole&Version=2011-06-15", "list-type=2"])
    | st.text(max_size=20),
    target=st.sampled_from(["TrentService.Encrypt", "TrentService.ListKeys", ""]),
    body=st.sampled_from([b"", b"{}", b"<a/>", b'{"KeyId": {}}', b"Action=GetCallerIdentity"]) | st.binary(max_size=40),
)
def test_arbitrary_requests_raise_only_service_errors(
    service: str, method: str, path: str, query: str, target: str, body: bytes
) -> None:
    request = _request(method=method, path=path, query=query, headers={"x-amz-target": target, **_FORM}, body=body)
    try:
        operation, params = parse_request(load_service(service), request)
    except ServiceError as error:
        assert error.code and error.status in (400, 404, 405)
    else:
        assert operation.name in load_service(service).operation_names
        assert isinstance(params, dict)
