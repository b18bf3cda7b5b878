"""Live: bad input answers AWS's own error (never a 500), is audited, and changes nothing, on both stores."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import Server

from .helpers import error_of, unique


def failed_call_in_trail(server: Server, event_name: str, request_id: str) -> dict[str, Any]:
    """The CloudTrail event LookupEvents shows for request `request_id` (the test fails if none)."""
    cloudtrail = server.client("cloudtrail")
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}]
    )
    for page in pages:
        for event in page["Events"]:
            record: dict[str, Any] = json.loads(event["CloudTrailEvent"])
            if record["requestID"] == request_id:
                return record
    raise AssertionError(f"no {event_name} event for request {request_id}")


def test_an_integer_past_32_bits_is_refused_stored_nowhere_and_audited(server: Server) -> None:
    events = server.client("events")
    rule = unique("wide")
    events.put_rule(Name=rule, ScheduleExpression="rate(1 day)")
    target = {"Id": "t1", "Arn": "arn:aws:sqs:us-east-1:111122223333:q",
              "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/t",
                                "TaskCount": 2**70}}
    with pytest.raises(ClientError) as raised:
        events.put_targets(Rule=rule, Targets=[target])
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value '1180591620717411303424' at 'targets.1.member.ecsParameters.taskCount' "
        "failed to satisfy constraint: Member must have value less than or equal to 2147483647",
    )
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []
    record = failed_call_in_trail(server, "PutTargets", raised.value.response["ResponseMetadata"]["RequestId"])
    assert record["errorCode"] == "ValidationException"
    assert record["requestParameters"]["targets"][0]["ecsParameters"]["taskCount"] == str(2**70)
