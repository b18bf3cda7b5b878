"""CloudTrail records built from request contexts, checked against the shapes AWS documents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from strongroom.audit.record import EXTRA_SENSITIVE, build_record, row_for
from strongroom.auth.principal import Principal
from strongroom.clock import Clock
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.wire.http import HttpRequest
from strongroom.wire.specs import load_service

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET = "never-in-the-record"

ALICE = Principal(
    account_id=ACCOUNT,
    arn=f"arn:aws:iam::{ACCOUNT}:user/Alice",
    user_id="AIDAEXAMPLEALICE",
    type="IAMUser",
    access_key_id="AKIAEXAMPLEALICE",
    user_name="Alice",
)
ROOT = Principal(
    account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:root", user_id=ACCOUNT, type="Root", access_key_id="AKIAROOT"
)
SESSION = Principal(
    account_id=ACCOUNT,
    arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ci-run-7",
    user_id="AROAEXAMPLEROLE:ci-run-7",
    type="AssumedRole",
    access_key_id="ASIAEXAMPLESESSION",
    session_token="session-token-value",
)


def context(service: str, operation: str, params: dict[str, Any], principal: Principal = ALICE) -> RequestContext:
    model = load_service(service)
    return RequestContext(
        request_id="23456237-41e6-4c39-a9c0-a264eb660a74",
        request=HttpRequest(method="POST", path="/"),
        clock=Clock(),
        # A non-UTC offset: the record must still say UTC.
        received_at=datetime(2025, 5, 20, 22, 45, 0, 123456, tzinfo=timezone(timedelta(hours=2))),
        source_ip="192.0.2.0",
        user_agent="aws-cli/2.15 md/test",
        service=model,
        operation=model.operation_model(operation),
        region="us-west-2",
        principal=principal,
        params=params,
    )


def test_kms_decrypt_record_matches_the_documented_shape() -> None:
    ctx = context(
        "kms",
        "Decrypt",
        {"CiphertextBlob": SECRET.encode(), "KeyId": KEY_ARN, "EncryptionContext": {"Department": "Engineering"}},
    )
    ctx.resources.append({"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN})
    record = build_record(
        ctx, event_source="kms.amazonaws.com", read_only=True, output={"Plaintext": SECRET.encode()}, error=None
    )
    event_id = record.pop("eventID")
    # A UUID, as AWS documents; ours are time-ordered (version 7, see `audit.record.event_id`).
    assert str(uuid.UUID(event_id)) == event_id and uuid.UUID(event_id).version == 7
    assert record == {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEALICE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/Alice",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAEXAMPLEALICE",
            "userName": "Alice",
        },
        "eventTime": "2025-05-20T20:45:00Z",
        "eventSource": "kms.amazonaws.com",
        "eventName": "Decrypt",
        "awsRegion": "us-west-2",
        "sourceIPAddress": "192.0.2.0",
        "userAgent": "aws-cli/2.15 md/test",
        "requestParameters": {"keyId": KEY_ARN, "encryptionContext": {"Department": "Engineering"}},
        "responseElements": None,
        "requestID": "23456237-41e6-4c39-a9c0-a264eb660a74",
        "readOnly": True,
        "resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    assert "apiVersion" not in record and "errorCode" not in record


def test_write_operation_records_redacted_response_elements() -> None:
    ctx = context("secretsmanager", "CreateSecret", {"Name": "db", "SecretString": SECRET})
    output = {"ARN": "arn:aws:secretsmanager:us-west-2:111122223333:secret:db-AbCdEf", "Name": "db", "VersionId": "v1"}
    record = build_record(ctx, event_source="secretsmanager.amazonaws.com", read_only=False, output=output, error=None)
    assert record["requestParameters"] == {"name": "db"}
    assert record["responseElements"] == {
        "aRN": "arn:aws:secretsmanager:us-west-2:111122223333:secret:db-AbCdEf",
        "name": "db",
        "versionId": "v1",
    }
    assert record["readOnly"] is False
    assert "resources" not in record
    assert SECRET not in orjson.dumps(record).decode()


def test_failure_records_error_code_and_message_without_response() -> None:
    ctx = context("kms", "ScheduleKeyDeletion", {"KeyId": KEY_ARN, "PendingWindowInDays": 7})
    error = ServiceError("KMSInvalidStateException", f"{KEY_ARN} is pending deletion.")
    record = build_record(ctx, event_source="kms.amazonaws.com", read_only=False, output=None, error=error)
    assert record["errorCode"] == "KMSInvalidStateException"
    assert record["errorMessage"] == f"{KEY_ARN} is pending deletion."
    assert record["responseElements"] is None
    assert record["requestParameters"] == {"keyId": KEY_ARN, "pendingWindowInDays": 7}
    # AWS puts the error right after the caller's details; keep that order in the JSON.
    keys = list(record)
    assert keys.index("errorCode") == keys.index("userAgent") + 1
    silent = build_record(
        ctx, event_source="kms.amazonaws.com", read_only=False, output=None, error=ServiceError("AccessDenied", None)
    )
    assert silent["errorCode"] == "AccessDenied" and "errorMessage" not in silent


def test_empty_input_gives_null_request_parameters_and_data_events_say_so() -> None:
    ctx = context("sts", "GetCallerIdentity", {}, principal=ROOT)
    record = build_record(
        ctx, event_source="sts.amazonaws.com", read_only=True, output={"Account": ACCOUNT}, error=None, management=False
    )
    assert record["requestParameters"] is None
    assert record["managementEvent"] is False and record["eventCategory"] == "Data"
    assert record["userIdentity"] == {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAROOT",
    }


def test_assumed_role_identity_names_its_issuing_role() -> None:
    ctx = context("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::111122223333:role/Next", "RoleSessionName": "s"})
    output = {
        "Credentials": {
            "AccessKeyId": "ASIANEXT",
            "SecretAccessKey": SECRET,
            "SessionToken": SECRET,
            "Expiration": datetime(2025, 5, 20, 21, 45, tzinfo=UTC),
        },
        "AssumedRoleUser": {"AssumedRoleId": "AROANEXT:s", "Arn": "arn:aws:sts::111122223333:assumed-role/Next/s"},
    }
    ctx.principal = SESSION
    record = build_record(ctx, event_source="sts.amazonaws.com", read_only=False, output=output, error=None)
    assert record["userIdentity"] == {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLE:ci-run-7",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ci-run-7",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLESESSION",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLE",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/Deployer",
                "accountId": ACCOUNT,
                "userName": "Deployer",
            },
            "attributes": {"mfaAuthenticated": "false"},
        },
    }
    credentials = record["responseElements"]["credentials"]
    assert credentials == {"accessKeyId": "ASIANEXT", "expiration": "2025-05-20T21:45:00Z"}
    text = orjson.dumps(record).decode()
    assert SECRET not in text and "session-token-value" not in text


def test_context_can_name_extra_sensitive_members() -> None:
    ctx = context("ssm", "PutParameter", {"Name": "/p", "Description": SECRET, "Value": SECRET})
    ctx.extra[EXTRA_SENSITIVE] = ["Description"]
    record = build_record(ctx, event_source="ssm.amazonaws.com", read_only=False, output={"Version": 1}, error=None)
    assert record["requestParameters"] == {"name": "/p"}
    assert record["responseElements"] == {"version": 1}
    ctx.extra[EXTRA_SENSITIVE] = "Description"  # one path given as a bare string
    record = build_record(ctx, event_source="ssm.amazonaws.com", read_only=False, output=None, error=None)
    assert record["requestParameters"] == {"name": "/p"}


def test_row_for_gives_the_lookup_columns() -> None:
    ctx = context("kms", "CreateAlias", {"AliasName": "alias/a", "TargetKeyId": KEY_ARN})
    record = build_record(ctx, event_source="kms.amazonaws.com", read_only=False, output={}, error=None)
    row = row_for(record)
    assert row == {
        "event_id": record["eventID"],
        "event_time": datetime(2025, 5, 20, 20, 45, tzinfo=UTC),
        "account_id": ACCOUNT,
        "region": "us-west-2",
        "event_source": "kms.amazonaws.com",
        "event_name": "CreateAlias",
        "read_only": False,
        "username": "Alice",
        "access_key_id": "AKIAEXAMPLEALICE",
        "error_code": None,
        "record": orjson.dumps(record).decode(),
    }
    assert orjson.loads(row["record"]) == record
    assert record["responseElements"] is None  # an empty output is recorded as null


def test_row_for_usernames_as_lookup_events_shows_them() -> None:
    for principal, username in ((ROOT, "root"), (SESSION, "ci-run-7"), (ALICE, "Alice")):
        ctx = context("kms", "ListKeys", {}, principal=principal)
        error = ServiceError("AccessDeniedException", "no")
        row = row_for(build_record(ctx, event_source="kms.amazonaws.com", read_only=True, output=None, error=error))
        assert row["username"] == username
        assert row["error_code"] == "AccessDeniedException"
        assert row["access_key_id"] == principal.access_key_id


# What a request may carry into a record that JSON (or orjson) cannot hold as it is, and the text the
# stored record shows for it instead.
AWKWARD_VALUES: list[tuple[Any, Any]] = [
    (2**70, str(2**70)),
    (-(2**63) - 1, str(-(2**63) - 1)),
    (2**64 - 1, 2**64 - 1),  # still an orjson integer: kept as a number
    (float("nan"), None),
    (float("inf"), None),
    (b"\x00\xff", "AP8="),
    (bytearray(b"ab"), "YWI="),
    ({1: "one", None: "none", 2.5: "x"}, {"1": "one", "null": "none", "2.5": "x"}),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ({"\udcff": [b"k", (1, 2)]}, {"\\udcff": ["aw==", [1, 2]]}),
    ("NUL \x00 kept", "NUL \x00 kept"),
    (object, str(object)),
]


def test_row_for_stores_any_value_a_request_carries() -> None:
    ctx = context("events", "PutTargets", {"Rule": "r", "Targets": [
        {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:111122223333:q",
         "EcsParameters": {"TaskDefinitionArn": "arn:t", "TaskCount": 2**70}}]})
    record = build_record(ctx, event_source="events.amazonaws.com", read_only=False, output=None,
                          error=ServiceError("ValidationException", "too big"))
    assert record["requestParameters"]["targets"][0]["ecsParameters"]["taskCount"] == 2**70
    record["requestParameters"]["document"] = [value for value, _ in AWKWARD_VALUES]
    stored = orjson.loads(row_for(record)["record"])
    assert stored["requestParameters"]["targets"][0]["ecsParameters"]["taskCount"] == str(2**70)
    assert stored["requestParameters"]["document"] == [shown for _, shown in AWKWARD_VALUES]
    assert stored["requestID"] == ctx.request_id
    # Made representable in place: listeners handed the record afterwards see what was stored.
    assert orjson.loads(orjson.dumps(record)) == stored


def test_row_for_leaves_plain_records_untouched() -> None:
    ctx = context("kms", "CreateAlias", {"AliasName": "alias/a", "TargetKeyId": KEY_ARN})
    record = build_record(ctx, event_source="kms.amazonaws.com", read_only=False, output={}, error=None)
    before = orjson.dumps(record)
    assert row_for(record)["record"] == before.decode()
    assert orjson.dumps(record) == before
