"""Live EventBridge tests: buses and their policies, rules, targets, tags, TestEventPattern, over boto3."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import Server

from .helpers import error_of, unique

REGION = "eu-west-2"


@pytest.fixture
def events(server: Server):
    client = server.client("events", region=REGION)
    yield client
    client.close()


def test_event_bus_lifecycle(events) -> None:
    name = unique("orders")
    created = events.create_event_bus(Name=name, Description="orders", Tags=[{"Key": "team", "Value": "a"}])
    assert created["EventBusArn"].endswith(f":event-bus/{name}")
    described = events.describe_event_bus(Name=name)
    assert described["Name"] == name and described["Description"] == "orders"
    assert events.list_tags_for_resource(ResourceARN=created["EventBusArn"])["Tags"] == [{"Key": "team", "Value": "a"}]
    with pytest.raises(ClientError) as raised:
        events.create_event_bus(Name=name)
    assert error_of(raised) == ("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    names = [bus["Name"] for bus in events.list_event_buses()["EventBuses"]]
    assert "default" in names and name in names
    assert [bus["Name"] for bus in events.list_event_buses(NamePrefix=name)["EventBuses"]] == [name]
    events.delete_event_bus(Name=name)
    with pytest.raises(ClientError) as raised:
        events.describe_event_bus(Name=name)
    assert error_of(raised) == ("ResourceNotFoundException", f"Event bus {name} does not exist.")


def test_the_default_bus_exists_and_cannot_be_deleted(events) -> None:
    assert events.describe_event_bus()["Name"] == "default"
    with pytest.raises(ClientError) as raised:
        events.create_event_bus(Name="default")
    assert error_of(raised)[0] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as raised:
        events.delete_event_bus(Name="default")
    assert error_of(raised)[0] == "ValidationException"


def test_put_and_remove_permission_edit_the_bus_policy(events) -> None:
    name = unique("shared")
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    events.put_permission(EventBusName=name, Action="events:PutEvents", Principal="111122223333",
                          StatementId="partner")
    policy = json.loads(events.describe_event_bus(Name=name)["Policy"])
    assert policy["Statement"] == [{"Sid": "partner", "Effect": "Allow",
                                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                    "Action": "events:PutEvents", "Resource": arn}]
    with pytest.raises(ClientError) as raised:
        events.remove_permission(EventBusName=name, StatementId="nobody")
    assert error_of(raised) == ("ResourceNotFoundException", "Statement with the provided id does not exist.")
    events.remove_permission(EventBusName=name, StatementId="partner")
    assert "Policy" not in events.describe_event_bus(Name=name)
    with pytest.raises(ClientError) as raised:
        events.put_permission(EventBusName=name, Action="events:PutRule", Principal="111122223333",
                              StatementId="x")
    assert error_of(raised)[0] == "ValidationException"


def test_rule_lifecycle(events) -> None:
    name = unique("rule")
    pattern = json.dumps({"source": ["com.example.orders"]})
    arn = events.put_rule(Name=name, EventPattern=pattern, Description="orders",
                          Tags=[{"Key": "env", "Value": "test"}])["RuleArn"]
    assert arn.endswith(f":rule/{name}")
    described = events.describe_rule(Name=name)
    assert described["EventPattern"] == pattern and described["State"] == "ENABLED"
    assert described["EventBusName"] == "default" and described["Arn"] == arn
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "owner", "Value": "me"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["env"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "owner", "Value": "me"}]
    events.put_targets(Rule=name, Targets=[{"Id": "t1", "Arn": "arn:aws:sqs:eu-west-2:123456789012:q"}])
    with pytest.raises(ClientError) as raised:
        events.delete_rule(Name=name)
    assert error_of(raised) == ("ValidationException", "Rule can't be deleted since it has targets.")
    assert name in events.list_rule_names_by_target(TargetArn="arn:aws:sqs:eu-west-2:123456789012:q")["RuleNames"]
    events.remove_targets(Rule=name, Ids=["t1"])
    events.delete_rule(Name=name)
    with pytest.raises(ClientError) as raised:
        events.describe_rule(Name=name)
    assert error_of(raised) == ("ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.")


def test_rules_on_a_custom_bus_and_by_bus_arn(events) -> None:
    bus = unique("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    arn = events.put_rule(Name="r", EventBusName=bus, EventPattern='{"source": ["x"]}')["RuleArn"]
    assert arn.endswith(f":rule/{bus}/r")
    assert events.describe_rule(Name="r", EventBusName=bus_arn)["EventBusName"] == bus
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="s", EventBusName=bus, ScheduleExpression="rate(5 minutes)")
    assert error_of(raised)[0] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="r", EventBusName=unique("missing"), EventPattern='{"source": ["x"]}')
    assert error_of(raised)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as raised:
        events.delete_event_bus(Name=bus)
    assert error_of(raised)[0] == "ValidationException"
    events.delete_rule(Name="r", EventBusName=bus)
    events.delete_event_bus(Name=bus)


def test_list_rules_pages_by_name_prefix(events) -> None:
    prefix = unique("page")
    names = [f"{prefix}-{index:02d}" for index in range(7)]
    for name in names:
        events.put_rule(Name=name, EventPattern='{"source": ["x"]}')
    seen, token = [], None
    while True:
        page = events.list_rules(NamePrefix=prefix, Limit=3, **({"NextToken": token} if token else {}))
        assert len(page["Rules"]) <= 3
        seen += [rule["Name"] for rule in page["Rules"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    paginated = events.get_paginator("list_rules").paginate(NamePrefix=prefix, PaginationConfig={"PageSize": 2})
    assert [rule["Name"] for page in paginated for rule in page["Rules"]] == names


def test_invalid_patterns_and_schedules_are_refused_with_aws_messages(events) -> None:
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name=unique("bad"), EventPattern='{"detail": {"pipeline": {"slug": "some-pipeline"}}}')
    assert error_of(raised) == ("InvalidEventPatternException",
                                'Event pattern is not valid. Reason: "slug" must be an object or an array')
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name=unique("bad"), ScheduleExpression="rate(1 minutes)")
    assert error_of(raised) == ("ValidationException", "Parameter ScheduleExpression is not valid.")
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name=unique("bad"))
    assert error_of(raised)[0] == "ValidationException"


def test_targets_are_listed_as_put_and_their_input_is_checked(events) -> None:
    name = unique("targets")
    events.put_rule(Name=name, EventPattern='{"source": ["x"]}')
    transformer = {"InputPathsMap": {"state": "$.detail.state"}, "InputTemplate": '{"s": <state>}'}
    targets = [
        {"Id": "a", "Arn": "arn:aws:sqs:eu-west-2:123456789012:a", "Input": '{"fixed": true}'},
        {"Id": "b", "Arn": "arn:aws:sqs:eu-west-2:123456789012:b", "InputPath": "$.detail"},
        {"Id": "c", "Arn": "arn:aws:sqs:eu-west-2:123456789012:c", "InputTransformer": transformer,
         "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}},
    ]
    assert events.put_targets(Rule=name, Targets=targets)["FailedEntryCount"] == 0
    assert events.list_targets_by_rule(Rule=name)["Targets"] == targets
    first = events.list_targets_by_rule(Rule=name, Limit=2)
    assert [target["Id"] for target in first["Targets"]] == ["a", "b"]
    rest = events.list_targets_by_rule(Rule=name, Limit=2, NextToken=first["NextToken"])
    assert [target["Id"] for target in rest["Targets"]] == ["c"]
    with pytest.raises(ClientError) as raised:
        events.put_targets(Rule=name, Targets=[{"Id": "d", "Arn": "arn:aws:sqs:eu-west-2:1:d", "Input": "{",
                                                "InputPath": "$.detail"}])
    assert error_of(raised)[0] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        events.put_targets(Rule=name, Targets=[{"Id": "d", "Arn": "arn:aws:sqs:eu-west-2:1:d", "Input": "{"}])
    assert error_of(raised) == ("ValidationException", "Input for target d is not a valid JSON text.")
    with pytest.raises(ClientError) as raised:
        events.put_targets(Rule=unique("missing"), Targets=[{"Id": "d", "Arn": "arn:aws:sqs:eu-west-2:1:d"}])
    assert error_of(raised)[0] == "ResourceNotFoundException"
    events.remove_targets(Rule=name, Ids=["a", "b", "c"])
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []


def test_test_event_pattern_uses_the_matcher(events) -> None:
    event = json.dumps({"id": "1", "account": "123456789012", "source": "aws.ec2", "time": "2017-12-22T18:43:48Z",
                        "region": "us-west-1", "resources": [], "detail-type": "EC2 Instance State-change Notification",
                        "detail": {"state": "terminated", "c-count": 5}})
    match = events.test_event_pattern
    assert match(EventPattern='{"detail": {"state": ["terminated"]}}', Event=event)["Result"] is True
    assert match(EventPattern='{"detail": {"c-count": [{"numeric": [">", 5]}]}}', Event=event)["Result"] is False
    with pytest.raises(ClientError) as raised:
        match(EventPattern='{"detail": {"state": [{"wildcard": "a**"}]}}', Event=event)
    assert error_of(raised) == ("InvalidEventPatternException",
                                "Event pattern is not valid. Reason: Consecutive wildcard characters at pos 2")
    with pytest.raises(ClientError) as raised:
        match(EventPattern='{"source": ["x"]}', Event='{"source": "x"}')
    assert error_of(raised)[0] == "ValidationException"


def test_put_events_validates_entries(events) -> None:
    reply = events.put_events(Entries=[
        {"Source": "com.example", "DetailType": "t", "Detail": "{}"},
        {"Source": "aws.kms", "DetailType": "t", "Detail": "{}"},
        {"Source": "com.example", "DetailType": "t", "Detail": "[1]"},
        {"DetailType": "t", "Detail": "{}"},
        {"Source": "com.example", "DetailType": "t", "Detail": "{}", "EventBusName": unique("nobus")},
    ])
    assert reply["FailedEntryCount"] == 4
    first, *failed = reply["Entries"]
    assert set(first) == {"EventId"}
    assert [(entry["ErrorCode"], entry["ErrorMessage"]) for entry in failed][:3] == [
        ("NotAuthorizedForSourceException", "Not authorized for the source."),
        ("MalformedDetail", "Detail is malformed."),
        ("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."),
    ]
    assert failed[3]["ErrorCode"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[{"Source": "s", "DetailType": "t", "Detail": "{}"}] * 11)
    assert error_of(raised)[0] == "ValidationException"


def test_the_aws_cli_puts_a_rule_and_tests_a_pattern(server: Server) -> None:
    name = unique("cli")
    env = dict(server.cli_env(), AWS_DEFAULT_REGION=REGION)

    def aws(*args: str) -> dict:
        result = subprocess.run([sys.executable, "-m", "awscli", "events", *args, "--output", "json"],
                                capture_output=True, text=True, env=env, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    arn = aws("put-rule", "--name", name, "--event-pattern", '{"source": [{"prefix": "com.example"}]}')["RuleArn"]
    assert aws("describe-rule", "--name", name)["Arn"] == arn
    event = json.dumps({"id": "1", "account": "123456789012", "source": "com.example.orders",
                        "time": "2024-01-01T00:00:00Z", "region": REGION, "resources": [], "detail-type": "t",
                        "detail": {}})
    assert aws("test-event-pattern", "--event-pattern", '{"source": [{"prefix": "com.example"}]}',
               "--event", event)["Result"] is True
    aws("delete-rule", "--name", name)
    assert name not in [rule["Name"] for rule in aws("list-rules", "--name-prefix", name)["Rules"]]
