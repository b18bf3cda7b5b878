"""What the foundation promises around each call: audit records, sealed secrets, health, the clock."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from .conftest import SECRET_ACCESS_KEY, Server
from .helpers import audit_records


def test_every_call_is_audited_before_it_is_answered(server: Server) -> None:
    reply = server.client("sts", region="eu-west-1").get_caller_identity()
    request_id = reply["ResponseMetadata"]["RequestId"]
    # The answer came back, so its record must already be stored: no waiting, no retry.
    (record,) = audit_records(server, request_id)
    assert record["eventSource"] == "sts.amazonaws.com"
    assert record["eventName"] == "GetCallerIdentity"
    assert record["awsRegion"] == "eu-west-1"
    assert record["readOnly"] is True
    assert record["eventType"] == "AwsApiCall"
    assert record["recipientAccountId"] == "000000000000"
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == "arn:aws:iam::000000000000:root"
    assert record["userIdentity"]["accessKeyId"] == server.access_key_id
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in record["userAgent"] or "boto3" in record["userAgent"].lower()
    assert record["eventTime"].endswith("Z")
    for field in ("eventVersion", "eventID", "managementEvent", "eventCategory"):
        assert field in record


def test_a_failed_call_is_audited_with_its_error(server: Server) -> None:
    # boto3 would refuse this value itself; a raw signed request reaches the server's validation.
    reply = server.send("sts", b"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=1",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400
    body = reply.body.decode()
    assert "<Code>ValidationError</Code>" in body
    request_id = body.split("<RequestId>", 1)[1].split("</RequestId>", 1)[0]
    (record,) = audit_records(server, request_id)
    assert record["eventName"] == "GetSessionToken"
    assert record["errorCode"] == "ValidationError"
    assert "durationSeconds" in record["errorMessage"]
    assert record["responseElements"] is None


def test_no_secret_reaches_the_database_in_plaintext(server: Server) -> None:
    server.client("sts").get_caller_identity()
    if server.database_url is None:
        files = [p for p in server.data_dir.iterdir() if p.name.startswith("strongroom.db")]
        assert files
        for path in files:
            assert SECRET_ACCESS_KEY.encode() not in path.read_bytes(), path
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            for table in ("access_keys", "audit_events", "accounts"):
                for row in connection.execute(text(f"SELECT * FROM {table}")):
                    assert SECRET_ACCESS_KEY not in repr(tuple(row)), table
    finally:
        engine.dispose()


def test_key_files_are_private(server: Server) -> None:
    for name in ("root.key", "credentials"):
        path: Path = server.data_dir / name
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert SECRET_ACCESS_KEY in (server.data_dir / "credentials").read_text()


def test_health(server: Server) -> None:
    status, body = server.admin("health")
    assert status == 200
    assert body["status"] == "ok"
    assert "sts" in body["services"]
    assert body["version"]


def test_clock_can_be_moved_by_tests(server: Server) -> None:
    status, before = server.admin("clock")
    assert status == 200
    status, after = server.admin("clock", {"advance_seconds": 86400 * 10})
    assert status == 200
    assert after["now"][:10] > before["now"][:10]
    # Moving business time does not break request signing, which uses real time.
    assert server.client("sts").get_caller_identity()["Account"] == "000000000000"
    # This store has served AWS calls: business time never goes back on it.
    status, refused = server.admin("clock", {"advance_seconds": -86400 * 10})
    assert (status, refused["error"]) == (409, "ClockWouldGoBack")


def test_bad_clock_request(server: Server) -> None:
    status, _ = server.admin("clock", {"advance_seconds": "soon"})
    assert status == 400
    status, _ = server.admin("clock", {})
    assert status == 400


def test_unknown_admin_route(server: Server) -> None:
    status, _ = server.admin("nothing-here")
    assert status == 404


@pytest.mark.parametrize("operation", ["DecodeAuthorizationMessage"])
def test_operation_not_implemented_yet_is_a_clear_error(server: Server, operation: str) -> None:
    sts = server.client("sts")
    with pytest.raises(ClientError) as caught:
        sts.decode_authorization_message(EncodedMessage="x")
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert operation in caught.value.response["Error"]["Message"]
