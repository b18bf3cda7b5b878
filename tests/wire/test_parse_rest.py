"""REST routing and binding details the round trip does not pin down on its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strongroom.wire.http import Headers, HttpRequest
from strongroom.wire.parse import parse_request
from strongroom.wire.parse.rest import split_header_list
from strongroom.wire.specs import load_service


def _s3(method: str, path: str, query: str = "", headers: dict[str, str] | None = None, body: bytes = b""):
    return parse_request(load_service("s3"), HttpRequest(method, path, query, Headers((headers or {}).items()), body))


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "operation"),
    [
        ("GET", "/b", "", {}, "ListObjects"),
        ("GET", "/b", "list-type=2", {}, "ListObjectsV2"),
        ("GET", "/b", "tagging", {}, "GetBucketTagging"),
        ("GET", "/b", "analytics", {}, "ListBucketAnalyticsConfigurations"),
        ("GET", "/b", "analytics&id=x", {}, "GetBucketAnalyticsConfiguration"),
        ("GET", "/b/k", "", {}, "GetObject"),
        ("GET", "/b/k", "uploadId=u", {}, "ListParts"),
        ("PUT", "/b/k", "", {}, "PutObject"),
        ("PUT", "/b/k", "", {"x-amz-copy-source": "o/k"}, "CopyObject"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u", {}, "UploadPart"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u", {"x-amz-copy-source": "o/k"}, "UploadPartCopy"),
        ("DELETE", "/b/k", "", {}, "DeleteObject"),
        ("DELETE", "/b/k", "uploadId=u", {}, "AbortMultipartUpload"),
        ("GET", "/", "", {}, "ListBuckets"),
        ("GET", "/b/", "", {}, "ListObjects"),
    ],
)
def test_most_specific_route_wins(method: str, path: str, query: str, headers: dict[str, str], operation: str) -> None:
    parsed_operation, _ = _s3(method, path, query, headers)
    assert parsed_operation.name == operation


def test_greedy_label_keeps_slashes_and_labels_are_percent_decoded() -> None:
    _, params = _s3("GET", "/my%2Dbucket/a%2Fb/c%20d/%E2%82%AC", "versionId=v%201")
    assert params == {"Bucket": "my-bucket", "Key": "a/b/c d/€", "VersionId": "v 1"}


def test_header_and_query_timestamps_and_prefixed_headers() -> None:
    _, params = _s3(
        "PUT",
        "/b/k",
        headers={"Expires": "Wed, 21 Oct 2015 07:28:00 GMT", "x-amz-meta-Color": "blue", "x-amz-meta-size": "3"},
        body=b"data",
    )
    assert params["Expires"] == datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert params["Metadata"] == {"color": "blue", "size": "3"}
    assert params["Body"] == b"data"
    # GetObject's ResponseExpires is a query-string timestamp the model formats as an HTTP date.
    _, params = _s3("GET", "/b/k", "response-expires=Wed%2C%2021%20Oct%202015%2007%3A28%3A00%20GMT")
    assert params["ResponseExpires"] == datetime(2015, 10, 21, 7, 28, tzinfo=UTC)


def test_header_lists_honour_quotes() -> None:
    assert split_header_list('a, "b,c" ,"d\\"e",f') == ["a", "b,c", 'd"e', "f"]
    assert split_header_list("") == []
    _, params = _s3("GET", "/b/k", "attributes", {"x-amz-object-attributes": "ETag, ObjectSize"})
    assert params["ObjectAttributes"] == ["ETag", "ObjectSize"]


def test_xml_body_with_namespaces_attributes_and_flattened_lists() -> None:
    body = (
        b'<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<AccessControlList><Grant>"
        b'<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
        b"<ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
        b"<Owner><ID>owner</ID></Owner></AccessControlPolicy>"
    )
    operation, params = _s3("PUT", "/b", "acl", body=body)
    assert operation.name == "PutBucketAcl"
    assert params["AccessControlPolicy"] == {
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"}],
        "Owner": {"ID": "owner"},
    }
    body = (
        b"<LifecycleConfiguration><Rule><ID>one</ID><Status>Enabled</Status></Rule>"
        b"<Rule><ID>two</ID><Status>Disabled</Status></Rule></LifecycleConfiguration>"
    )
    _, params = _s3("PUT", "/b", "lifecycle", body=body)
    rules = params["LifecycleConfiguration"]["Rules"]
    assert [rule["ID"] for rule in rules] == ["one", "two"]


def test_rest_json_body_and_uri_members() -> None:
    request = HttpRequest(
        "POST",
        "/detector/det-1/filter",
        "",
        Headers([("content-type", "application/json")]),
        b'{"name": "f", "findingCriteria": {"criterion": {"severity": {"gte": 4}}}, "rank": 2, "extra": 1}',
    )
    operation, params = parse_request(load_service("guardduty"), request)
    assert operation.name == "CreateFilter"
    assert params == {
        "DetectorId": "det-1",
        "Name": "f",
        "FindingCriteria": {"Criterion": {"severity": {"Gte": 4}}},
        "Rank": 2,
    }
