"""Live: events of Strongroom's own services reach an API destination: "AWS API Call via CloudTrail" for an
audited KMS call, and Parameter Store's change events drained from its outbox.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.live.conftest import Server
from tests.live.test_events_delivery import API_KEY, Receiver, api_destination, wait_for

REGION = "ca-central-1"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    yield instance
    instance.server.shutdown()
    instance.server.server_close()


@pytest.fixture
def clients(server: Server) -> Iterator[tuple[Any, Any, Any]]:
    made = [server.client(name, region=REGION) for name in ("events", "kms", "ssm")]
    yield made[0], made[1], made[2]
    for client in made:
        client.close()


def rule(events: Any, pattern: dict[str, Any], destination: str) -> None:
    name = f"svc-{uuid.uuid4().hex[:10]}"
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "http", "Arn": destination}])


def test_schedule_key_deletion_reaches_an_api_destination(server: Server, clients: Any, receiver: Receiver):
    events, kms, _ssm = clients
    path = f"/kms-{uuid.uuid4().hex[:8]}"
    destination = api_destination(events, receiver, path, "API_KEY", API_KEY)
    key_id = kms.create_key(Description="doomed")["KeyMetadata"]["KeyId"]
    rule(events, {"source": ["aws.kms"], "detail-type": ["AWS API Call via CloudTrail"],
                  "detail": {"eventName": ["ScheduleKeyDeletion"], "requestParameters": {"keyId": [key_id]}}},
         destination)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    request = wait_for(lambda: receiver.to(path))[0]
    assert request["headers"]["x-api-key"] == "key-secret-42"
    event = json.loads(request["body"])
    assert (event["source"], event["detail-type"], event["region"]) == (
        "aws.kms", "AWS API Call via CloudTrail", REGION)
    assert event["detail"]["eventSource"] == "kms.amazonaws.com"
    assert event["detail"]["eventName"] == "ScheduleKeyDeletion"
    assert event["detail"]["requestParameters"]["keyId"] == key_id
    # Read-only calls only reach rules that ask for all management events.
    kms.describe_key(KeyId=key_id)
    kms.list_keys()
    assert len(receiver.to(path)) == 1


def test_parameter_store_changes_are_drained_from_the_outbox(server: Server, clients: Any, receiver: Receiver):
    events, _kms, ssm = clients
    path = f"/ssm-{uuid.uuid4().hex[:8]}"
    destination = api_destination(events, receiver, path, "API_KEY", API_KEY)
    name = f"/events/{uuid.uuid4().hex[:10]}"
    rule(events, {"source": ["aws.ssm"], "detail-type": ["Parameter Store Change"],
                  "detail": {"name": [name]}}, destination)
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    server.admin("clock", {"advance_seconds": 1})
    request = wait_for(lambda: receiver.to(path))[0]
    event = json.loads(request["body"])
    assert (event["source"], event["detail-type"]) == ("aws.ssm", "Parameter Store Change")
    assert event["detail"]["name"] == name
