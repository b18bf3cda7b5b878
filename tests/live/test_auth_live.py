"""Refusals at the door: every wrongly signed or unsigned request gets AWS's error for it, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from .conftest import Server

CALLER_IDENTITY = urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"}).encode()
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def _error_code(body: bytes) -> str:
    text = body.decode()
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0]


def test_wrong_secret_is_signature_does_not_match(server: Server) -> None:
    sts = server.client("sts", secret="wrong-secret-wrong-secret-wrong-secret-00")
    with pytest.raises(ClientError) as caught:
        sts.get_caller_identity()
    error = caught.value.response
    assert error["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "wrong-secret" not in str(error)


def test_unknown_access_key_is_invalid_client_token_id(server: Server) -> None:
    sts = server.client("sts", key="AKIAUNKNOWNKEY000000")
    with pytest.raises(ClientError) as caught:
        sts.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert caught.value.response["Error"]["Message"] == "The security token included in the request is invalid."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_missing_authentication(server: Server) -> None:
    reply = server.send("sts", CALLER_IDENTITY, headers=FORM, sign=False)
    assert reply.status == 403
    assert _error_code(reply.body) == "MissingAuthenticationToken"


def test_expired_signature(server: Server) -> None:
    reply = server.send("sts", CALLER_IDENTITY, headers=FORM,
                        signed_at=datetime.now(UTC) - timedelta(minutes=20))
    assert reply.status == 403
    assert _error_code(reply.body) == "SignatureDoesNotMatch"
    assert b"Signature expired" in reply.body


def test_signature_from_the_future(server: Server) -> None:
    reply = server.send("sts", CALLER_IDENTITY, headers=FORM,
                        signed_at=datetime.now(UTC) + timedelta(minutes=20))
    assert reply.status == 403
    assert b"Signature" in reply.body


def test_tampered_body_fails_the_signature(server: Server) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=f"{server.endpoint}/", data=CALLER_IDENTITY, headers=dict(FORM))
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "sts", "us-east-1").add_auth(request)
    headers = dict(request.headers)
    reply = server.send("sts", CALLER_IDENTITY + b"&Extra=1", headers=headers, sign=False)
    assert reply.status == 403
    assert _error_code(reply.body) == "SignatureDoesNotMatch"


def test_incomplete_authorization_header(server: Server) -> None:
    headers = dict(FORM, Authorization="AWS4-HMAC-SHA256 Credential=AKIASTRONGROOMTEST01/20240101/us-east-1/sts")
    reply = server.send("sts", CALLER_IDENTITY, headers=headers, sign=False)
    assert reply.status in (400, 403)
    assert _error_code(reply.body) == "IncompleteSignature"


def test_region_must_be_real(server: Server) -> None:
    reply = server.send("sts", CALLER_IDENTITY, headers=FORM, region="mars-north-1")
    assert reply.status in (400, 403)
    assert b"valid region" in reply.body


def test_unknown_action(server: Server) -> None:
    body = urlencode({"Action": "StealEverything", "Version": "2011-06-15"}).encode()
    reply = server.send("sts", body, headers=FORM)
    assert reply.status == 400
    assert _error_code(reply.body) == "InvalidAction"


def test_missing_action(server: Server) -> None:
    reply = server.send("sts", b"Version=2011-06-15", headers=FORM)
    assert reply.status == 400
    assert _error_code(reply.body) == "MissingAction"


def test_request_id_header(server: Server) -> None:
    reply = server.send("sts", CALLER_IDENTITY, headers=FORM)
    assert reply.status == 200
    request_id = reply.headers.get("x-amzn-RequestId") or reply.headers.get("x-amzn-requestid")
    assert request_id and request_id in reply.body.decode()


def test_json_service_not_served_yet_answers_in_its_protocol(server: Server) -> None:
    headers = {"X-Amz-Target": "CertificateManager.ListCertificates", "Content-Type": "application/x-amz-json-1.1"}
    reply = server.send("acm", b"{}", headers=headers)
    assert reply.status == 501
    assert reply.json()["__type"].endswith("NotImplemented")


def test_junk_never_gets_a_500(server: Server) -> None:
    cases = [
        ("sts", b"\xff\xfe\x00garbage", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("sts", b"Action=GetCallerIdentity&Version=1999-01-01", FORM),
        ("kms", b"{not json", {"X-Amz-Target": "TrentService.ListKeys",
                                "Content-Type": "application/x-amz-json-1.1"}),
        ("nosuchservice", b"{}", {"Content-Type": "application/json"}),
    ]
    for service, body, headers in cases:
        reply = server.send(service, body, headers=headers)
        assert 400 <= reply.status < 500 or reply.status == 501, (service, body, reply.status, reply.body)
    for method in ("GET", "PUT", "DELETE"):
        reply = server.send("sts", b"", method=method, path="/some/path")
        assert 400 <= reply.status < 500, (method, reply.status, reply.body)
