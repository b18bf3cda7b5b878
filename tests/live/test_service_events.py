"""Live: the events KMS and Secrets Manager send to EventBridge themselves reach a local HTTP endpoint through a
rule and an API destination, in AWS's shapes: "KMS CMK Deletion" once the waiting period is over, "KMS CMK
Rotation" on automatic and on-demand rotation, "KMS Imported Key Material Expiration", and a secret rotation's
"AWS Service Event via CloudTrail" events (without any secret value). And KMS's cryptographic calls are
recorded readOnly, so their API call events only reach rules that ask for all management events.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import Server
from tests.live.test_events_delivery import API_KEY, Receiver, api_destination, wait_for
from tests.live.test_kms_import import import_material
from tests.live.test_secretsmanager_rotation import RotationEndpoint, register_endpoint

REGION = "eu-north-1"
DAY = 86400


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    yield instance
    instance.server.shutdown()
    instance.server.server_close()


@pytest.fixture
def clients(server: Server) -> Iterator[dict[str, Any]]:
    made = {name: server.client(name, region=REGION) for name in ("events", "kms", "secretsmanager", "cloudtrail")}
    yield made
    for client in made.values():
        client.close()


def route(events: Any, receiver: Receiver, pattern: dict[str, Any], state: str = "ENABLED") -> str:
    """A rule with `pattern` on the default bus sending to a fresh path on the receiver; that path."""
    path = f"/svc-{uuid.uuid4().hex[:10]}"
    destination = api_destination(events, receiver, path, "API_KEY", API_KEY)
    name = f"svc-{uuid.uuid4().hex[:10]}"
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State=state)
    assert events.put_targets(Rule=name, Targets=[{"Id": "http", "Arn": destination}])["FailedEntryCount"] == 0
    return path


def received(receiver: Receiver, path: str, count: int = 1) -> list[dict[str, Any]]:
    """The events posted to `path`, once at least `count` have arrived; each with the connection's header."""
    requests = wait_for(lambda: (found := receiver.to(path)) and len(found) >= count and found)
    assert all(request["headers"]["x-api-key"] == "key-secret-42" for request in requests)
    return [json.loads(request["body"]) for request in requests]


def server_now(server: Server) -> datetime:
    status, clock = server.admin("clock")
    assert status == 200
    return datetime.fromisoformat(clock["now"])


def account_of(key: dict[str, Any]) -> str:
    return str(key["Arn"].split(":")[4])


def test_key_deletion_event_after_the_waiting_period(
    server: Server, clients: dict[str, Any], receiver: Receiver
) -> None:
    kms = clients["kms"]
    key = kms.create_key(Description="deleted by the scheduler")["KeyMetadata"]
    path = route(clients["events"], receiver, {"source": ["aws.kms"], "detail-type": ["KMS CMK Deletion"],
                                              "resources": [key["Arn"]]})
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert server.admin("clock", {"advance_seconds": 6 * DAY})[0] == 200
    assert receiver.to(path) == []  # still pending deletion: nothing happened yet
    assert server.admin("clock", {"advance_seconds": DAY + 60})[0] == 200
    [event] = received(receiver, path)
    assert (event["source"], event["detail-type"], event["resources"]) == ("aws.kms", "KMS CMK Deletion", [key["Arn"]])
    assert (event["account"], event["region"], event["version"]) == (account_of(key), REGION, "0")
    assert event["detail"] == {"key-id": key["KeyId"]}
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=key["KeyId"])
    assert excinfo.value.response["Error"]["Code"] == "NotFoundException"


def test_cancelled_deletion_sends_no_deletion_event(
    server: Server, clients: dict[str, Any], receiver: Receiver
) -> None:
    kms = clients["kms"]
    key = kms.create_key()["KeyMetadata"]
    path = route(clients["events"], receiver, {"source": ["aws.kms"], "detail-type": ["KMS CMK Deletion"],
                                              "resources": [key["Arn"]]})
    probe = route(clients["events"], receiver, {"source": ["aws.kms"], "detail-type": ["KMS CMK Deletion"]})
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    other = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=other["KeyId"], PendingWindowInDays=7)
    assert server.admin("clock", {"advance_seconds": 8 * DAY})[0] == 200
    # The other key's deletion arrived, so the scheduler ran: the cancelled key sent nothing.
    assert any(event["detail"] == {"key-id": other["KeyId"]} for event in received(receiver, probe))
    assert receiver.to(path) == []
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_automatic_rotation_event_after_a_year(
    server: Server, clients: dict[str, Any], receiver: Receiver
) -> None:
    kms = clients["kms"]
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    path = route(clients["events"], receiver, {"source": ["aws.kms"], "detail-type": ["KMS CMK Rotation"],
                                              "resources": [key["Arn"]]})
    assert server.admin("clock", {"advance_seconds": 366 * DAY})[0] == 200
    [event] = received(receiver, path)
    assert (event["source"], event["detail-type"], event["resources"]) == ("aws.kms", "KMS CMK Rotation", [key["Arn"]])
    assert (event["account"], event["region"]) == (account_of(key), REGION)
    assert event["detail"] == {"key-id": key["KeyId"]}
    assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]] == ["AUTOMATIC"]


def test_on_demand_rotation_event(
    server: Server, clients: dict[str, Any], receiver: Receiver
) -> None:
    kms = clients["kms"]
    key = kms.create_key()["KeyMetadata"]
    path = route(clients["events"], receiver, {"source": ["aws.kms"], "detail-type": ["KMS CMK Rotation"],
                                              "detail": {"key-id": [key["KeyId"]]}})
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert server.admin("clock", {"advance_seconds": 1})[0] == 200
    [event] = received(receiver, path)
    assert (event["source"], event["detail-type"], event["resources"]) == ("aws.kms", "KMS CMK Rotation", [key["Arn"]])
    assert event["detail"] == {"key-id": key["KeyId"]}


def test_imported_material_expiration_event(
    server: Server, clients: dict[str, Any], receiver: Receiver
) -> None:
    kms = clients["kms"]
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    valid_to = (server_now(server) + timedelta(days=2)).replace(microsecond=0)
    import_material(kms, key["KeyId"], os.urandom(32), ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    path = route(clients["events"], receiver, {"source": ["aws.kms"],
                                              "detail-type": ["KMS Imported Key Material Expiration"]})
    assert server.admin("clock", {"advance_seconds": DAY})[0] == 200
    assert not [e for e in map(json.loads, (r["body"] for r in receiver.to(path))) if e["resources"] == [key["Arn"]]]
    assert server.admin("clock", {"advance_seconds": DAY + 60})[0] == 200
    event = wait_for(lambda: next((e for e in (json.loads(r["body"]) for r in receiver.to(path))
                                   if e["resources"] == [key["Arn"]]), None))
    assert (event["source"], event["detail-type"]) == ("aws.kms", "KMS Imported Key Material Expiration")
    assert (event["account"], event["region"]) == (account_of(key), REGION)
    assert event["detail"] == {"key-id": key["KeyId"]}
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"


@pytest.mark.parametrize("fail_step", [None, "setSecret"])
def test_secret_rotation_outcomes_are_service_events(server: Server, clients: dict[str, Any], receiver: Receiver,
                                                     fail_step: str | None) -> None:
    sm = clients["secretsmanager"]
    endpoint = RotationEndpoint(server.client("secretsmanager", region=REGION), fail_step=fail_step)
    try:
        value = f"value-{uuid.uuid4().hex}"
        function_arn = register_endpoint(server, f"fn-{uuid.uuid4().hex[:10]}", endpoint.url)
        created = sm.create_secret(Name=f"svc-{uuid.uuid4().hex[:10]}", SecretString=value)
        path = route(clients["events"], receiver, {
            "source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"],
            "detail": {"eventSource": ["secretsmanager.amazonaws.com"],
                       "additionalEventData": {"SecretId": [created["ARN"]]}}})
        token = sm.rotate_secret(SecretId=created["ARN"], RotationLambdaARN=function_arn,
                                 RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        outcome = "RotationFailed" if fail_step else "RotationSucceeded"
        events = received(receiver, path, 2)
        assert [event["detail"]["eventName"] for event in events] == ["RotationStarted", outcome]
        for event in events:
            assert (event["source"], event["detail-type"], event["resources"]) == (
                "aws.secretsmanager", "AWS Service Event via CloudTrail", [])
            assert (event["account"], event["region"]) == (created["ARN"].split(":")[4], REGION)
            detail = event["detail"]
            assert (detail["eventType"], detail["eventSource"], detail["awsRegion"]) == (
                "AwsServiceEvent", "secretsmanager.amazonaws.com", REGION)
            assert detail["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"
            assert detail["readOnly"] is False
            assert detail["resources"] == [{"accountId": event["account"], "type": "AWS::SecretsManager::Secret",
                                            "ARN": created["ARN"]}]
            assert detail["additionalEventData"]["RotationVersionId"] == token
        if fail_step:
            assert fail_step in events[1]["detail"]["additionalEventData"]["FailureReason"]
        # Neither the old value nor the one the rotation wrote appears anywhere in what was sent.
        bodies = b"".join(request["body"] for request in receiver.to(path))
        assert value.encode() not in bodies
    finally:
        endpoint.close()


def test_crypto_calls_are_recorded_read_only(
    server: Server, clients: dict[str, Any], receiver: Receiver
) -> None:
    kms, cloudtrail = clients["kms"], clients["cloudtrail"]
    key = kms.create_key()["KeyMetadata"]
    pattern = {"source": ["aws.kms"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"eventName": ["Encrypt"], "requestParameters": {"keyId": [key["KeyId"]]}}}
    writes_only = route(clients["events"], receiver, pattern)
    everything = route(clients["events"], receiver, pattern, state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"plaintext-never-recorded")

    lookup = {"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": key["Arn"]}]}
    encrypt = wait_for(lambda: next((event for event in cloudtrail.lookup_events(**lookup)["Events"]
                                     if event["EventName"] == "Encrypt"), None))
    assert encrypt["ReadOnly"] == "true"
    record = json.loads(encrypt["CloudTrailEvent"])
    assert record["readOnly"] is True and record["responseElements"] is None
    create = next(event for event in cloudtrail.lookup_events(**lookup)["Events"] if event["EventName"] == "CreateKey")
    assert create["ReadOnly"] == "false"

    # The read-only call reaches only the rule that asks for all management events.
    [event] = received(receiver, everything)
    assert event["detail"]["eventName"] == "Encrypt" and event["detail"]["readOnly"] is True
    assert b"plaintext-never-recorded" not in receiver.to(everything)[0]["body"]
    assert receiver.to(writes_only) == []
